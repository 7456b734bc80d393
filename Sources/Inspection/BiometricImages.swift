import LDS

/// The images an officer looks at, out of the biometric data groups: the face of DG2 (JPEG or JPEG 2000) and the
/// fingers of DG3 (WSQ, JPEG 2000 …, ISO/IEC 19794-4 compression codes), named by what they are.
///
/// ```
/// DG2  face-1.jpg, face-2.jp2 …            ISO/IEC 19794-5 image data type 0 JPEG, 1 JPEG 2000
/// DG3  finger-1-right-thumb.wsq …          ISO/IEC 19794-4 compression 2 WSQ, 3 JPEG, 4 JPEG lossless, 5 JPEG 2000, 6 PNG
/// ```
public enum BiometricImages {
    public struct Image: Hashable, Sendable {
        public let name: String
        public let bytes: [UInt8]
    }

    /// The images of the data groups in `report`; a data group that does not decode gives none (the report has
    /// already said whether its hash was right).
    public static func extract(from dataGroups: [Int: [UInt8]]) -> [Image] {
        var images: [Image] = []
        if let bytes = dataGroups[2], let dg2 = try? DG2(bytes: bytes) {
            for (index, face) in dg2.faces.flatMap(\.images).enumerated() {
                images.append(Image(name: "face-\(index + 1).\(face.imageDataType == 1 ? "jp2" : "jpg")", bytes: face.imageData))
            }
        }
        if let bytes = dataGroups[3], let dg3 = try? DG3(bytes: bytes) {
            var count = 0
            for record in dg3.fingerRecords {
                let fileExtension = ["raw", "raw", "wsq", "jpg", "jpg", "jp2", "png"].indices.contains(Int(record.compressionAlgorithm))
                    ? ["raw", "raw", "wsq", "jpg", "jpg", "jp2", "png"][Int(record.compressionAlgorithm)] : "bin"
                for finger in record.fingers {
                    count += 1
                    let position = finger.positionName.lowercased().replacingOccurrences(of: " ", with: "-")
                    images.append(Image(name: "finger-\(count)-\(position).\(fileExtension)", bytes: finger.imageData))
                }
            }
        }
        return images
    }
}
