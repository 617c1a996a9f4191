import { describe, expect, test } from 'vitest';
import { declarationSpecifiersToJs } from '../../lib/package/build.ts';

describe('npm run build: declaration specifiers', () => {
  test('relative .ts specifiers of imports, exports, import types and augmentations become .js', () => {
    const text = [
      "import type { A } from './a.ts';",
      'export { B } from "../b/b.ts";',
      "export * from './c.ts';",
      'declare const x: import("./setting.ts").Setting<import("../../k8s/connect.ts").Cluster>;',
      "declare module './meta.ts' {}",
    ].join('\n');
    expect(declarationSpecifiersToJs(text)).toBe(
      [
        "import type { A } from './a.js';",
        'export { B } from "../b/b.js";',
        "export * from './c.js';",
        'declare const x: import("./setting.js").Setting<import("../../k8s/connect.js").Cluster>;',
        "declare module './meta.js' {}",
      ].join('\n'),
    );
  });

  test('package specifiers, .js specifiers and other strings stay as they are', () => {
    const text = ["import type { TestAPI } from 'vitest';", "import { y } from './y.js';", "declare module 'vitest' {}", "type T = 'x.ts' | 'pkg/z.ts';"].join('\n');
    expect(declarationSpecifiersToJs(text)).toBe(text);
  });
});
