/**
 * Which network addresses the gateway may fetch export files from. The URL comes from the
 * upstream's task list; a name the policy allows could still resolve inside the deployment's
 * own network (DNS rebinding, a poisoned or internal resolver), so the address each name
 * resolves to is checked at connect time, by the lookup the socket itself uses: what is checked
 * is what is connected to. Only global unicast addresses pass, unless the origin was configured
 * explicitly (CDN_DOWNLOAD_ORIGINS, the embedded emulator), whose operator chose it.
 * Ranges come from ipaddr.js (private, loopback, link-local, unique-local, carrier-grade NAT,
 * multicast, reserved, …); IPv4 inside IPv6 (mapped, NAT64) is judged as the IPv4 it carries.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** The address a name resolved to is not public: the fetch must not connect. */
export class AddressRefusedError extends Error {
  readonly code = "EXPORT_ADDRESS_REFUSED";
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, not a public address`);
    this.name = "AddressRefusedError";
  }
}

/** Whether `address` (IPv4 or IPv6 text) is a global unicast address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!ipaddr.isValid(bare)) return false;
  const parsed = ipaddr.process(bare);
  if (parsed.kind() === "ipv6" && parsed.range() === "rfc6052") {
    // NAT64 (64:ff9b::/96): the IPv4 address is the last 32 bits.
    const bytes = parsed.toByteArray().slice(-4);
    return ipaddr.fromByteArray(bytes).range() === "unicast";
  }
  return parsed.range() === "unicast";
}

/** A DNS lookup that fails with AddressRefusedError when any address it finds is not public. */
export function publicOnlyLookup(base: LookupFunction = dnsLookup): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    base(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const found: LookupAddress[] = Array.isArray(address) ? address : [{ address, family: family ?? 0 }];
      // Any private answer refuses the name: connecting may try each address in turn.
      const refused = found.find((entry) => !isPublicAddress(entry.address));
      if (refused) return callback(new AddressRefusedError(hostname, refused.address), "", 0);
      callback(null, address, family);
    });
  };
}
