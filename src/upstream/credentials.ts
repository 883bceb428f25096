/**
 * An AccessKey pair (plus an optional STS token) that cannot leak by accident: the secret and
 * the token live in private `#fields`, so JSON.stringify, util.inspect, String(), spreading and
 * Object.keys see only the AccessKeyId. Reading them takes an explicit getter call.
 */
import { inspect } from "node:util";
import { percentEncode } from "./signing/index.js";

const REDACTED = "<redacted>";

export interface CredentialsInit {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
}

export class Credentials {
  readonly accessKeyId: string;
  readonly #accessKeySecret: string;
  readonly #securityToken: string | undefined;
  /** Every spelling of a secret that may come back inside an upstream message. */
  readonly #secretSpellings: readonly string[];

  constructor(init: CredentialsInit) {
    if (!init.accessKeyId || !init.accessKeySecret) {
      throw new TypeError("Credentials need a non-empty accessKeyId and accessKeySecret");
    }
    this.accessKeyId = init.accessKeyId;
    this.#accessKeySecret = init.accessKeySecret;
    this.#securityToken = init.securityToken || undefined;
    this.#secretSpellings = spellingsOf([this.#accessKeySecret, this.#securityToken]);
  }

  /** The official SDK variable names; undefined when the id or the secret is unset. */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
    const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) return undefined;
    return new Credentials({ accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN });
  }

  get accessKeySecret(): string {
    return this.#accessKeySecret;
  }

  get securityToken(): string | undefined {
    return this.#securityToken;
  }

  /** Replaces the secret and the token (raw or percent-encoded, once or twice) in `text`. */
  redact(text: string): string {
    let out = text;
    for (const spelling of this.#secretSpellings) {
      if (out.includes(spelling)) out = out.split(spelling).join(REDACTED);
    }
    return out;
  }

  toJSON(): { accessKeyId: string; accessKeySecret: string; securityToken?: string } {
    return {
      accessKeyId: this.accessKeyId,
      accessKeySecret: REDACTED,
      ...(this.#securityToken === undefined ? {} : { securityToken: REDACTED }),
    };
  }

  toString(): string {
    return `Credentials(${this.accessKeyId}, secret ${REDACTED}${this.#securityToken === undefined ? "" : `, token ${REDACTED}`})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function spellingsOf(values: ReadonlyArray<string | undefined>): string[] {
  const spellings = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    const once = percentEncode(value);
    spellings.add(value).add(once).add(percentEncode(once)).add(encodeURIComponent(value));
  }
  // Longest first, so a double-encoded form is replaced before its raw substring could be.
  return [...spellings].sort((a, b) => b.length - a.length);
}
