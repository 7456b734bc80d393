import CVC

/// The CVCA and DVCA services throw the CVC module's error, with the codes of `CVCAError+Authority` added.
public typealias CVCAError = CVCError
