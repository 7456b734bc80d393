/// One facial image of an ISO/IEC 19794-5:2005 record: its Facial Information block, feature points, Image
/// Information and the image itself.
///
/// ```
/// Facial Information (20 bytes)
///   0  4  facial record data length (this block, feature points, image information and image data)
///   4  2  number of feature points
///   6  1  gender              0 unspecified, 1 male, 2 female, 0xFF unknown
///   7  1  eye colour
///   8  1  hair colour
///   9  3  property mask       bit 0 properties specified, 1 glasses, 2 moustache, 3 beard, …
///  12  2  expression          0 unspecified, 1 neutral, 2 smile closed, …
///  14  3  pose angle          yaw, pitch, roll (kept as encoded)
///  17  3  pose angle uncertainty
/// Feature Points (8 bytes each; see `FeaturePoint`)
/// Image Information (12 bytes)
///   0  1  face image type     0 basic, 1 full frontal, 2 token frontal
///   1  1  image data type     0 JPEG, 1 JPEG 2000
///   2  2  width               pixels
///   4  2  height              pixels
///   6  1  image colour space  0 unspecified, 1 24-bit RGB, 2 YUV422, 3 8-bit greyscale, …
///   7  1  source type         0 unspecified, 1 static photo (unknown source), 2 digital camera, …
///   8  2  device type
///  10  2  quality
/// Image Data (the rest)
/// ```
public struct FaceImage: Hashable, Sendable {
    public var gender: UInt8
    public var eyeColour: UInt8
    public var hairColour: UInt8
    /// 24 bits.
    public var propertyMask: UInt32
    public var expression: UInt16
    /// Yaw, pitch and roll as encoded.
    public var poseAngle: [UInt8]
    public var poseAngleUncertainty: [UInt8]
    public var featurePoints: [FeaturePoint]
    public var faceImageType: UInt8
    public var imageDataType: UInt8
    public var width: UInt16
    public var height: UInt16
    public var imageColourSpace: UInt8
    public var sourceType: UInt8
    public var deviceType: UInt16
    public var quality: UInt16
    public var imageData: [UInt8]

    static let informationLength = 20
    static let imageInformationLength = 12

    public enum ImageDataType: UInt8, Sendable {
        case jpeg = 0
        case jpeg2000 = 1
    }

    /// A frontal image with the unspecified values for what a personalization system does not record.
    public init(
        imageData: [UInt8], imageDataType: ImageDataType, width: UInt16, height: UInt16, gender: UInt8 = 0,
        faceImageType: UInt8 = 1, imageColourSpace: UInt8 = 1, sourceType: UInt8 = 2, featurePoints: [FeaturePoint] = []
    ) {
        self.gender = gender
        self.eyeColour = 0
        self.hairColour = 0
        self.propertyMask = 0
        self.expression = 0
        self.poseAngle = [0, 0, 0]
        self.poseAngleUncertainty = [0, 0, 0]
        self.featurePoints = featurePoints
        self.faceImageType = faceImageType
        self.imageDataType = imageDataType.rawValue
        self.width = width
        self.height = height
        self.imageColourSpace = imageColourSpace
        self.sourceType = sourceType
        self.deviceType = 0
        self.quality = 0
        self.imageData = imageData
    }

    init(bytes: ArraySlice<UInt8>, index: Int) throws {
        let what = "ISO/IEC 19794-5 facial image \(index)"
        var reader = ByteReader(bytes, what: what)
        let length = try reader.uint32("facial record data length")
        guard Int(length) == bytes.count, bytes.count >= Self.informationLength + Self.imageInformationLength else {
            throw LDSError.malformed(what, "facial record data length \(length) does not fit the \(bytes.count) bytes of the record")
        }
        let points = Int(try reader.uint16("number of feature points"))
        gender = try reader.uint8("gender")
        eyeColour = try reader.uint8("eye colour")
        hairColour = try reader.uint8("hair colour")
        propertyMask = UInt32(try reader.integer(3, "property mask"))
        expression = try reader.uint16("expression")
        poseAngle = Array(try reader.take(3, "pose angle"))
        poseAngleUncertainty = Array(try reader.take(3, "pose angle uncertainty"))
        var featurePoints: [FeaturePoint] = []
        for point in 0..<points {
            featurePoints.append(try FeaturePoint(bytes: reader.take(FeaturePoint.length, "feature point \(point + 1)")))
        }
        self.featurePoints = featurePoints
        faceImageType = try reader.uint8("face image type")
        imageDataType = try reader.uint8("image data type")
        width = try reader.uint16("width")
        height = try reader.uint16("height")
        imageColourSpace = try reader.uint8("image colour space")
        sourceType = try reader.uint8("source type")
        deviceType = try reader.uint16("device type")
        quality = try reader.uint16("quality")
        imageData = Array(reader.rest())
    }

    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        let length = Self.informationLength + featurePoints.count * FeaturePoint.length + Self.imageInformationLength + imageData.count
        bytes.reserveCapacity(length)
        bytes.appendBigEndian(UInt32(length), width: 4)
        bytes.appendBigEndian(UInt16(featurePoints.count), width: 2)
        bytes += [gender, eyeColour, hairColour]
        bytes.appendBigEndian(propertyMask, width: 3)
        bytes.appendBigEndian(expression, width: 2)
        bytes += Self.three(poseAngle) + Self.three(poseAngleUncertainty)
        for point in featurePoints { bytes += point.encode() }
        bytes += [faceImageType, imageDataType]
        bytes.appendBigEndian(width, width: 2)
        bytes.appendBigEndian(height, width: 2)
        bytes += [imageColourSpace, sourceType]
        bytes.appendBigEndian(deviceType, width: 2)
        bytes.appendBigEndian(quality, width: 2)
        return bytes + imageData
    }

    private static func three(_ values: [UInt8]) -> [UInt8] {
        Array((values + [0, 0, 0]).prefix(3))
    }

    /// "JPEG", "JPEG 2000" or the raw code.
    public var imageDataTypeName: String {
        switch imageDataType {
        case 0: "JPEG"
        case 1: "JPEG 2000"
        default: "type \(imageDataType)"
        }
    }

    public var genderName: String {
        switch gender {
        case 0: "unspecified"
        case 1: "male"
        case 2: "female"
        case 0xFF: "unknown"
        default: "code \(gender)"
        }
    }

    public var faceImageTypeName: String {
        switch faceImageType {
        case 0: "basic"
        case 1: "full frontal"
        case 2: "token frontal"
        default: "type \(faceImageType)"
        }
    }
}
