export { percentEncode, canonicalQueryString } from "./percent-encode.js";
export {
  signRequestV3,
  parseAuthorizationV3,
  sha256Hex,
  EMPTY_BODY_SHA256,
  V3_ALGORITHM,
  type V3Request,
  type V3Signed,
} from "./v3.js";
export { signRequestV1, stringToSignV1 } from "./v1.js";
