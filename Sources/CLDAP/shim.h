/* LDAP v3 through OpenLDAP's client library (libldap, Debian's libldap-dev): the NPKD publishes to and syncs from
 * directories in the ICAO PKD layout. The helpers below wrap what Swift cannot spell: LDAP_SASL_SIMPLE is a macro of
 * a cast, and the paged-results exchange (RFC 2696) takes a control in and a cookie out of each search. */
#include <ldap.h>
#include <lber.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Opens (lazily: libldap connects on the first operation) an ldap:// or ldaps:// URI, protocol version 3, with a
 * network and operation timeout so that a directory that does not answer does not hang a publication. */
static inline int epki_ldap_open(const char *uri, int timeoutSeconds, LDAP **out) {
    int rc = ldap_initialize(out, uri);
    if (rc != LDAP_SUCCESS) return rc;
    int version = LDAP_VERSION3;
    ldap_set_option(*out, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(*out, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    struct timeval timeout = { timeoutSeconds, 0 };
    ldap_set_option(*out, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(*out, LDAP_OPT_TIMEOUT, &timeout);
    return LDAP_SUCCESS;
}

/* A simple bind (RFC 4513 §5.1.3); an empty DN and password make an anonymous bind. */
static inline int epki_ldap_simple_bind(LDAP *ld, const char *dn, const char *password, size_t length) {
    struct berval credentials;
    credentials.bv_len = length;
    credentials.bv_val = (char *)password;
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &credentials, NULL, NULL, NULL);
}

/* One page of a subtree or one-level search with the paged-results control. `cookie` goes in empty for the first
 * page; on return it holds the server's cookie (freed with ber_memfree), empty when the last page was read. */
static inline int epki_ldap_search_page(LDAP *ld, const char *base, int scope, const char *filter, char **attributes,
                                        int pageSize, struct berval *cookie, LDAPMessage **result) {
    LDAPControl *page = NULL;
    int rc = ldap_create_page_control(ld, pageSize, cookie, 0, &page);
    if (rc != LDAP_SUCCESS) return rc;
    LDAPControl *controls[2] = { page, NULL };
    rc = ldap_search_ext_s(ld, base, scope, filter, attributes, 0, controls, NULL, NULL, LDAP_NO_LIMIT, result);
    ldap_control_free(page);
    if (cookie->bv_val != NULL) { ber_memfree(cookie->bv_val); }
    cookie->bv_val = NULL;
    cookie->bv_len = 0;
    if (rc != LDAP_SUCCESS) return rc;
    int code = LDAP_SUCCESS;
    LDAPControl **returned = NULL;
    rc = ldap_parse_result(ld, *result, &code, NULL, NULL, NULL, &returned, 0);
    if (rc != LDAP_SUCCESS) return rc;
    if (returned != NULL) {
        LDAPControl *response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, returned, NULL);
        if (response != NULL) {
            ber_int_t estimate = 0;
            ldap_parse_pageresponse_control(ld, response, &estimate, cookie);
        }
        ldap_controls_free(returned);
    }
    return code;
}

/* The values of an LDAPMod: a union in C, reached here by name. */
static inline void epki_ldap_mod_set_values(LDAPMod *mod, struct berval **values) { mod->mod_bvalues = values; }

/* The message of the last error on the connection (owned by libldap's session; copied by the caller). */
static inline const char *epki_ldap_diagnostic(LDAP *ld) {
    char *message = NULL;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message);
    static __thread char copy[512];
    copy[0] = 0;
    if (message != NULL) {
        strncpy(copy, message, sizeof(copy) - 1);
        copy[sizeof(copy) - 1] = 0;
        ldap_memfree(message);
    }
    return copy;
}
