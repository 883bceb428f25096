import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createApiKeyRing } from "../../src/auth/api-keys.js";

const DASHBOARD_KEY = "dash-3f9c2b7e41d0a8c6";
const OPS_KEY = "ops-7a1e9d44c02b5f38";

function ring() {
  return createApiKeyRing([
    { name: "dashboard", key: DASHBOARD_KEY, scopes: ["export:read"] },
    // The shape config holds: a redacting wrapper.
    { name: "ops", key: { reveal: () => OPS_KEY }, scopes: ["export:read", "export:create", "export:delete"] },
  ]);
}

describe("API key ring", () => {
  it("maps each key to its named principal and scopes", () => {
    const keys = ring();
    expect(keys.size).toBe(2);
    const dashboard = keys.authenticateApiKey(DASHBOARD_KEY);
    expect(dashboard?.name).toBe("dashboard");
    expect([...(dashboard?.scopes ?? [])]).toEqual(["export:read"]);
    expect(keys.authenticateApiKey(OPS_KEY)?.name).toBe("ops");
  });

  it("refuses near misses: wrong, prefix, longer, case-changed, empty", () => {
    const keys = ring();
    for (const token of ["nope", DASHBOARD_KEY.slice(0, -1), `${DASHBOARD_KEY}x`, DASHBOARD_KEY.toUpperCase(), ""]) {
      expect(keys.authenticateApiKey(token)).toBeNull();
    }
  });

  it("never prints a key: JSON, inspect, template strings", () => {
    const keys = ring();
    for (const printed of [JSON.stringify(keys), inspect(keys, { depth: 10, showHidden: true }), String(keys), JSON.stringify({ auth: keys })]) {
      expect(printed).not.toContain(DASHBOARD_KEY);
      expect(printed).not.toContain(OPS_KEY);
      expect(printed).toContain("dashboard");
    }
  });

  it("refuses duplicate names or keys without echoing the key", () => {
    expect(() => createApiKeyRing([
      { name: "a", key: DASHBOARD_KEY, scopes: [] },
      { name: "b", key: DASHBOARD_KEY, scopes: [] },
    ])).toThrow(/"b".*same key/);
    try {
      createApiKeyRing([{ name: "a", key: DASHBOARD_KEY, scopes: [] }, { name: "a", key: OPS_KEY, scopes: [] }]);
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/"a".*twice/);
      expect(String(error)).not.toContain(OPS_KEY);
    }
    expect(() => createApiKeyRing([{ name: "a", key: "", scopes: [] }])).toThrow(/empty/);
  });
});
