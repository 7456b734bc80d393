#!/usr/bin/env python3
"""A foreign SPOC's client, built by zeep from the WSDL epki serves, over mutual TLS.

usage: zeep_spoc.py WSDL_URL CA_FILE CERT KEY CALLER_ID OPERATION [ARGS...]
  RequestCertificate MESSAGE_ID REQUEST_FILE
  GetCACertificates MESSAGE_ID
  GeneralMessage MESSAGE_ID SUBJECT BODY
  SendCertificates MESSAGE_ID STATUS [CERT_FILE...]
Prints one JSON object: the result (or the HTTP status / fault), and the certificates in hex.
"""
import base64, json, sys
import requests
import zeep
from zeep.transports import Transport

wsdl, cafile, cert, key, caller, operation, *args = sys.argv[1:]
session = requests.Session()
# The verify setting must win over REQUESTS_CA_BUNDLE and proxies from the environment.
session.trust_env = False
session.verify = cafile
session.cert = (cert, key)
try:
    client = zeep.Client(wsdl, transport=Transport(session=session))
    service = client.service
    if operation == "RequestCertificate":
        with open(args[1], "rb") as f:
            answer = service.RequestCertificate(callerID=caller, messageID=args[0], certificateRequest=f.read())
    elif operation == "GetCACertificates":
        answer = service.GetCACertificates(callerID=caller, messageID=args[0])
    elif operation == "GeneralMessage":
        answer = service.GeneralMessage(callerID=caller, messageID=args[0], subject=args[1], body=args[2])
    elif operation == "SendCertificates":
        certificates = [open(p, "rb").read() for p in args[2:]]
        sequence = {"certificate": certificates} if certificates else None
        answer = service.SendCertificates(callerID=caller, messageID=args[0], certificateSequence=sequence, statusInfo=args[1])
    else:
        raise SystemExit("unknown operation " + operation)
except zeep.exceptions.Fault as fault:
    print(json.dumps({"fault": fault.message}))
    sys.exit(0)
except zeep.exceptions.TransportError as error:
    print(json.dumps({"http": error.status_code, "body": error.content.decode("utf-8", "replace")[:400]}))
    sys.exit(0)

if isinstance(answer, str):
    print(json.dumps({"result": answer}))
else:
    sequence = getattr(answer, "certificateSequence", None)
    certificates = [c.hex() for c in (sequence.certificate if sequence else [])]
    print(json.dumps({"result": answer.result, "certificates": certificates}))
