#!/usr/bin/env python3
"""A DV operator's callback endpoint (TR-03129 SendCertificates) over TLS, written with Python's standard library.

usage: dv_callback.py PORT CERT KEY OUT_DIR
Each POST body is saved as OUT_DIR/<n>.xml and answered ok_received_correctly.
"""
import http.server, os, ssl, sys

port, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ANSWER = (b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
          b'xmlns:dv="uri:EAC-PKI-DV-Protocol/1.1" xmlns:t="uri:eacBT/1.1"><soap:Body><dv:SendCertificatesResponse><Result>'
          b'<t:returnCode>ok_received_correctly</t:returnCode></Result></dv:SendCertificatesResponse></soap:Body></soap:Envelope>')

class Handler(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Handler.count += 1
        with open(os.path.join(out, "%d.xml" % Handler.count), "wb") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)
    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(os.path.join(out, "ready"), "w") as f:
    f.write("ready")
server.serve_forever()
