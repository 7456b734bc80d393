import PKICore
