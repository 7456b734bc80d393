#!/usr/bin/env python3
"""A DV operator's client of the TR-03129 CVCA service, built by zeep from the WSDL epki serves (RPC/literal).

usage: zeep_tr03129.py WSDL_URL CA_FILE CERT KEY OPERATION MESSAGE_ID [REQUEST_FILE [FOREIGN_CAR]]
Prints one JSON object: the returnCode and the certificates in hex (or the HTTP status / fault).
"""
import json, sys
import requests
import zeep
from zeep.transports import Transport

wsdl, cafile, cert, key, operation, message_id, *rest = sys.argv[1:]
session = requests.Session()
session.trust_env = False
session.verify = cafile
session.cert = (cert, key)
try:
    service = zeep.Client(wsdl, transport=Transport(session=session)).service
    common = dict(callbackIndicator="callback_possible", messageID={"messageID": message_id}, responseURL={})
    if operation == "GetCACertificates":
        answer = service.GetCACertificates(**common)
    else:
        with open(rest[0], "rb") as f:
            request = f.read()
        if operation == "RequestCertificate":
            answer = service.RequestCertificate(certReq=request, **common)
        else:
            answer = service.RequestForeignCertificate(foreignCAR=rest[1], certReq=request, **common)
except zeep.exceptions.Fault as fault:
    print(json.dumps({"fault": fault.message}))
    sys.exit(0)
except zeep.exceptions.TransportError as error:
    print(json.dumps({"http": error.status_code}))
    sys.exit(0)
sequence = answer.certificateSeq
print(json.dumps({"returnCode": answer.returnCode, "certificates": [c.hex() for c in (sequence.certificate if sequence else [])]}))
