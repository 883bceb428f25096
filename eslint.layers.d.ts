import type { Linter } from "eslint";

export interface Layer {
  name: string;
  files: string[];
}
export declare const LAYERS: readonly Layer[];
export declare const layeringConfig: Linter.Config;
