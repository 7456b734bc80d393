import Foundation
import Testing
import TestSupport

/// The PostgreSQL peer itself, driven by psql, pg_basebackup and pg_ctl only: that a private cluster starts (as
/// root too), keeps what it committed through a SIGKILL, and that a synchronous pair replicates and fails over.
/// Nothing here reads a date.
@Suite struct PrivatePostgresTests {
    @Test func clusterStoresAndReadsBackAndSurvivesAKill() throws {
        let cluster = try PrivatePostgres.start(name: "postgres-single")
        #expect(cluster.url == "postgres://epki@127.0.0.1:\(cluster.port)/postgres")
        #expect(cluster.url(database: "pki") == "postgres://epki@127.0.0.1:\(cluster.port)/pki")
        try cluster.createDatabase("pki")
        #expect(try cluster.psql("SELECT datname FROM pg_database WHERE datname = 'pki'") == "pki")
        #expect(try cluster.psql("SHOW fsync") == "on")
        #expect(try cluster.psql("SELECT current_user") == "epki")
        try cluster.psql("""
            CREATE TABLE certificate (serial integer PRIMARY KEY, subject text NOT NULL);
            INSERT INTO certificate VALUES (1, 'CN=CSCA Test'), (2, 'CN=DS Test');
            """, database: "pki")
        #expect(try cluster.psql("SELECT serial || '|' || subject FROM certificate ORDER BY serial", database: "pki")
                == "1|CN=CSCA Test\n2|CN=DS Test")

        // A crash after the commit: crash recovery brings the committed rows back.
        try cluster.kill()
        #expect(!cluster.isRunning)
        try cluster.restart()
        #expect(try cluster.psql("SELECT count(*) FROM certificate", database: "pki") == "2")

        // A failed statement is an error that carries PostgreSQL's message.
        let failure = #expect(throws: TestFailure.self) { try cluster.psql("SELECT * FROM missing_table", database: "pki") }
        #expect(failure?.description.contains("missing_table") == true)
        cluster.stop()
        #expect(!cluster.isRunning)
    }

    @Test func synchronousStandbyHasTheCommitAndTakesOverAfterTheKill() throws {
        let (primary, standby) = try PrivatePostgres.startReplicated(synchronous: true)
        #expect(try primary.psql("SELECT application_name || ' ' || sync_state FROM pg_stat_replication") == "standby1 sync")
        #expect(try standby.psql("SELECT pg_is_in_recovery()") == "t")
        try primary.createDatabase("pki")
        // remote_apply for this write: the commit returns once the standby has applied it, so the read there sees it
        // (with `on`, the standby has it on disk but may not have replayed it yet).
        try primary.psql("""
            CREATE TABLE revocation (serial integer PRIMARY KEY);
            SET synchronous_commit = remote_apply;
            INSERT INTO revocation VALUES (42);
            """, database: "pki")
        #expect(try standby.psql("SELECT serial FROM revocation", database: "pki") == "42")
        // A standby refuses writes.
        #expect(throws: TestFailure.self) { try standby.psql("INSERT INTO revocation VALUES (43)", database: "pki") }

        // The primary dies; its standby is promoted and takes writes, with the acknowledged commit there.
        try primary.kill()
        try standby.promote()
        #expect(try standby.psql("SELECT pg_is_in_recovery()") == "f")
        try standby.psql("INSERT INTO revocation VALUES (43)", database: "pki")
        #expect(try standby.psql("SELECT string_agg(serial::text, ',' ORDER BY serial) FROM revocation", database: "pki") == "42,43")
    }
}
