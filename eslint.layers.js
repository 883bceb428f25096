// The layers of src/, top to bottom: a file may import its own layer and the layers below it,
// never one above, and no import cycles anywhere (README "Layout"). Kept apart from
// eslint.config.js so test/layering.test.ts can lint fixtures with exactly these rules.
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/** Top to bottom. Each entry: a name and the files it holds. */
export const LAYERS = [
  { name: "composition", files: ["src/@(main|app).ts"] },
  { name: "server", files: ["src/@(server|yoga|config|config-env|config-variables|config-tracing|config-redis).ts"] },
  { name: "plugins", files: ["src/http/**", "src/auth/!(principal).ts", "src/observability/!(logger|secret-forms|spans).ts"] },
  { name: "schema", files: ["src/schema/**"] },
  { name: "resolvers", files: ["src/resolvers/**"] },
  { name: "context", files: ["src/@(context).ts"] },
  { name: "live", files: ["src/live/**"] },
  { name: "exports", files: ["src/exports/**"] },
  { name: "reading", files: ["src/reading/**"] },
  // Shared state implements the upstream quota's permit store (upstream/quota/permit-store.ts).
  { name: "state", files: ["src/state/**"] },
  { name: "upstream", files: ["src/upstream/**"] },
  { name: "foundation", files: ["src/@(errors).ts", "src/auth/@(principal).ts", "src/observability/@(logger|secret-forms|spans).ts"] },
];

/** The emulator is a program of its own beside the gateway: only the composition root starts it. */
const EMULATOR = "src/emulator/**";

function zones() {
  const result = [];
  LAYERS.forEach((layer, index) => {
    const above = LAYERS.slice(0, index).flatMap((l) => l.files);
    for (const target of layer.files) {
      if (above.length > 0) {
        result.push({ target, from: above, message: `the ${layer.name} layer imports only downwards (see README "Layout")` });
      }
      if (layer.name !== "composition") result.push({ target, from: [EMULATOR], message: "only the composition root starts the emulator" });
    }
  });
  return result;
}

export const layeringConfig = {
  files: ["src/**/*.ts", "test/fixtures/layering/**/*.ts"],
  plugins: { "import-x": importX },
  settings: {
    // Parse imported .ts files too, so a cycle through several files is seen.
    "import-x/extensions": [".ts", ".js"],
    "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
  },
  rules: {
    "import-x/no-cycle": ["error", { ignoreExternal: true }],
    "import-x/no-restricted-paths": ["error", { zones: zones() }],
  },
};
