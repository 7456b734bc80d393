/// The WSDL of the TR-03129 v1.1 CVCA service epki serves at `GET /tr03129/cvca?wsdl`: SOAP 1.1 RPC/literal,
/// soapAction "", operations RequestCertificate, RequestForeignCertificate and GetCACertificates in
/// `uri:EAC-PKI-CVCA-Protocol/1.1`, types in `uri:eacBT/1.1`, with this server's address. Written from the
/// message structure TR-03129 describes.
public enum TR03129WSDL {
    static let returnCodes = [
        "ok_cert_available", "ok_syntax", "ok_reception_ack", "failure_inner_signature", "failure_outer_signature", "failure_expired",
        "failure_domain_parameters", "failure_request_not_accepted", "failure_foreignCAR_unknown", "failure_not_forwarded",
        "failure_request_not_accepted_foreign", "failure_syntax", "failure_synchronous_processing_not_possible", "failure_internal_error",
    ]

    public static func document(address: String) -> String {
        let codes = returnCodes.map { "<xs:enumeration value=\"\($0)\"/>" }.joined(separator: "\n            ")
        func message(_ name: String, _ parts: [(String, String)]) -> String {
            "  <wsdl:message name=\"\(name)\">\n" + parts.map { "    <wsdl:part name=\"\($0.0)\" type=\"\($0.1)\"/>" }.joined(separator: "\n") + "\n  </wsdl:message>"
        }
        let common = [("callbackIndicator", "t:CallbackIndicatorType"), ("messageID", "t:OptionalMessageIDType"), ("responseURL", "t:OptionalStringType")]
        let operations = [
            ("RequestCertificate", common + [("certReq", "xs:base64Binary")], "t:RequestCertificateResult"),
            ("RequestForeignCertificate", common + [("foreignCAR", "xs:string"), ("certReq", "xs:base64Binary")], "t:RequestCertificateResult"),
            ("GetCACertificates", common, "t:GetCACertificatesResult"),
        ]
        let messages = operations.map { operation in
            message("\(operation.0)_Req", operation.1) + "\n" + message("\(operation.0)_Res", [("Result", operation.2)])
        }.joined(separator: "\n")
        let portOperations = operations.map { operation in
            "    <wsdl:operation name=\"\(operation.0)\">\n      <wsdl:input message=\"p:\(operation.0)_Req\"/>\n      <wsdl:output message=\"p:\(operation.0)_Res\"/>\n    </wsdl:operation>"
        }.joined(separator: "\n")
        let bindingOperations = operations.map { operation in
            """
                <wsdl:operation name="\(operation.0)">
                  <soap:operation soapAction="" style="rpc"/>
                  <wsdl:input><soap:body use="literal" namespace="\(TR03129Namespace.cvcaProtocol)"/></wsdl:input>
                  <wsdl:output><soap:body use="literal" namespace="\(TR03129Namespace.cvcaProtocol)"/></wsdl:output>
                </wsdl:operation>
            """
        }.joined(separator: "\n")
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:p="\(TR03129Namespace.cvcaProtocol)" xmlns:t="\(TR03129Namespace.types)"
                targetNamespace="\(TR03129Namespace.cvcaProtocol)">
              <wsdl:types>
                <xs:schema targetNamespace="\(TR03129Namespace.types)" elementFormDefault="qualified">
                  <xs:simpleType name="CallbackIndicatorType">
                    <xs:restriction base="xs:string">
                      <xs:enumeration value="callback_possible"/>
                      <xs:enumeration value="callback_not_possible"/>
                    </xs:restriction>
                  </xs:simpleType>
                  <xs:complexType name="OptionalMessageIDType">
                    <xs:sequence><xs:element name="messageID" type="xs:string" minOccurs="0"/></xs:sequence>
                  </xs:complexType>
                  <xs:complexType name="OptionalStringType">
                    <xs:sequence><xs:element name="string" type="xs:string" minOccurs="0"/></xs:sequence>
                  </xs:complexType>
                  <xs:simpleType name="ReturnCodeType">
                    <xs:restriction base="xs:string">
                      \(codes)
                    </xs:restriction>
                  </xs:simpleType>
                  <xs:complexType name="CertificateSeqType">
                    <xs:sequence><xs:element name="certificate" type="xs:base64Binary" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
                  </xs:complexType>
                  <xs:complexType name="RequestCertificateResult">
                    <xs:sequence>
                      <xs:element name="returnCode" type="t:ReturnCodeType"/>
                      <xs:element name="certificateSeq" type="t:CertificateSeqType" minOccurs="0"/>
                    </xs:sequence>
                  </xs:complexType>
                  <xs:complexType name="GetCACertificatesResult">
                    <xs:sequence>
                      <xs:element name="returnCode" type="t:ReturnCodeType"/>
                      <xs:element name="certificateSeq" type="t:CertificateSeqType" minOccurs="0"/>
                    </xs:sequence>
                  </xs:complexType>
                </xs:schema>
              </wsdl:types>
            \(messages)
              <wsdl:portType name="EAC-CVCA-ProtocolPortType">
            \(portOperations)
              </wsdl:portType>
              <wsdl:binding name="EAC-CVCA-ProtocolBinding" type="p:EAC-CVCA-ProtocolPortType">
                <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
            \(bindingOperations)
              </wsdl:binding>
              <wsdl:service name="CVCA-Service">
                <wsdl:port name="EAC-CVCA-ProtocolServicePort" binding="p:EAC-CVCA-ProtocolBinding">
                  <soap:address location="\(XMLWriter.escape(address, attribute: true))"/>
                </wsdl:port>
              </wsdl:service>
            </wsdl:definitions>

            """
    }
}
