/**
 * Import rules of the code base, checked by dependency-cruiser (`npm run deps`, run by `.ci/run`
 * before the tests, and by test/architecture/deps.test.ts). docs/architecture.md explains the
 * rooms and the layering; every rule below says why it exists in its `comment`.
 *
 * Type-only imports count (`tsPreCompilationDeps: true`): a type import still ties two rooms
 * together, and a type cycle is a knot a reader has to untie just the same.
 */

/**
 * The engine's rooms (folders of lib/) from the bottom up. A room may import rooms of its own
 * layer and of lower layers, never a higher one.
 */
const LAYERS = [
  { name: 'foundation', rooms: ['errors', 'stats', 'sse', 'tokenizer', 'package'], why: 'pure helpers (error classes, statistics, SSE parsing, token counts, where the package\'s own files are) that know nothing of a benchmark' },
  { name: 'records', rooms: ['metrics', 'data'], why: 'the raw request record with its derived metrics, and the prompt sources' },
  { name: 'config', rooms: ['config'], why: 'validated input (schemas, YAML, substitution, targets, scenarios); every room above reads it, it reads none of them' },
  { name: 'report', rooms: ['report'], why: 'the report model: the types of a finished report, which producers fill and consumers read' },
  { name: 'transport', rooms: ['http', 'apis', 'k8s'], why: 'talking to a target (undici, API adapters) or a cluster' },
  { name: 'producers', rooms: ['load', 'slo', 'prom', 'server-metrics', 'actuation'], why: 'each measures or judges and returns its section of the report' },
  { name: 'consumers', rooms: ['render', 'run-folder', 'baseline', 'publish', 'progress'], why: 'what is done with a finished report: rendered, written, compared, published, shown' },
  { name: 'scenario', rooms: ['scenario'], why: 'plans a scenario, runs the producers and assembles the report' },
  { name: 'vitest', rooms: ['vitest'], why: "the Vitest side of a scenario's result: matchers, task meta, the vitest binary" },
  { name: 'distributed', rooms: ['distributed'], why: 'a driver around the scenario steps: split, run in pods, merge' },
];

const roomsPattern = (rooms) => `^lib/(${rooms.join('|')})/`;

/** One rule per layer but the top one: it must not import a room of a higher layer. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const higher = LAYERS.slice(i + 1).flatMap((l) => l.rooms);
  return {
    name: `layer-${layer.name}`,
    severity: 'error',
    comment:
      `lib/{${layer.rooms.join(',')}}: ${layer.why}. A lower room never imports a higher one ` +
      `(${higher.join(', ')}), so each layer can be read, tested and changed without the ones above it.`,
    from: { path: roomsPattern(layer.rooms) },
    to: { path: roomsPattern(higher) },
  };
});

/**
 * Files of lib/ the simulators may use: neutral ones that measure nothing. The tokenizer and the
 * error classes; the one-line zod issue format (with the secret redaction it applies) and
 * did-you-mean, so option errors read the same everywhere; the simulator's option schema, which
 * a scenario file's `simulator:` section is validated against (one owner, in lib/config,
 * importing only zod); Kubernetes version parsing and the version suffix by which a client
 * recognises the cluster simulator.
 */
const SIM_MAY_USE = [
  '^lib/tokenizer/',
  '^lib/errors/',
  '^lib/package/',
  '^lib/config/format-issues\\.ts$',
  '^lib/config/closest-name\\.ts$',
  '^lib/config/redact\\.ts$',
  '^lib/config/schema/sim-options\\.ts$',
  '^lib/config/schema/sim-option-types\\.ts$',
  '^lib/k8s/kube-version\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Files that import each other (directly or round a loop) can only be understood, tested and ' +
        'loaded together, and the order their module bodies run in depends on who is imported first.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-not-outward',
      severity: 'error',
      comment:
        'lib/ is the engine. Suites, fixtures, reporters, the CLI, the bench harness and the tests are ' +
        'built on it, and the simulators stand beside it: the engine imports none of them, so it runs ' +
        'against a real target exactly as against a simulator.',
      from: { path: '^lib/' },
      to: { path: '^(api|fixtures|suites|reporters|sim|cli|bench|test|bin)/' },
    },
    {
      name: 'sim-isolated',
      severity: 'error',
      comment:
        'The simulators are the ground truth of the fidelity tests, so they share no code with the ' +
        'client side (load, http, sse, apis, metrics, stats, ...) and cannot inherit its mistakes. ' +
        'They may use sim/, Node and npm packages, and the neutral lib files listed in SIM_MAY_USE ' +
        '(tokenizer, error classes, the one-line zod issue format, did-you-mean).',
      from: { path: '^sim/', pathNot: '/test/' },
      to: { dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'], pathNot: ['^sim/', ...SIM_MAY_USE] },
    },
    {
      name: 'sim-shared-files-neutral',
      severity: 'error',
      comment:
        'The lib files the simulators may use stay neutral: they import only each other (and packages), ' +
        'so through them a simulator cannot reach the client side either.',
      from: { path: SIM_MAY_USE },
      to: { path: '^(lib|sim|cli|fixtures|reporters|suites|bench|test|bin)/', pathNot: SIM_MAY_USE },
    },
    {
      name: 'vitest-only-in-lib-vitest',
      severity: 'error',
      comment:
        'The engine runs outside Vitest too (the CLI, pod-run, the bench harness); only lib/vitest/ ' +
        '(matchers, task meta) may import vitest, so nothing else in lib/ needs a test runner to load.',
      from: { path: '^lib/', pathNot: '^lib/vitest/' },
      to: { path: '(^|/)node_modules/(vitest|@vitest)/' },
    },
    ...layerRules,
    {
      name: 'render-reads-report-only',
      severity: 'error',
      comment:
        'Renderers (terminal, JSON, JUnit, HTML, llm-d report) are pure functions of the report model: ' +
        'they read lib/report plus pure helpers (stats, errors), never a producer, so every output ' +
        'shows the same report and each is tested on a fixed model.',
      from: { path: '^lib/render/' },
      to: { path: '^lib/', pathNot: '^lib/(render|report|stats|errors)/' },
    },
    {
      name: 'fixtures-not-suites',
      severity: 'error',
      comment: 'suites -> fixtures -> lib: fixtures set up and tear down for any suite, so they never import one.',
      from: { path: '^fixtures/' },
      to: { path: '^(suites|reporters|cli|bench|test)/' },
    },
    {
      name: 'reporters-not-fixtures',
      severity: 'error',
      comment: 'Reporters run in the main Vitest process over finished reports: they never import suites, fixtures, the CLI or a simulator.',
      from: { path: '^reporters/' },
      to: { path: '^(suites|fixtures|cli|sim|bench|test)/' },
    },
    {
      name: 'suites-public-api-only',
      severity: 'error',
      comment:
        "The suites are written as a user's would be: they import `vitest-llm-d` (resolved to api/ by " +
        "tsconfig.json's paths), Vitest and Node, never a module of this repository by its path, so " +
        'what they need is in the public API and they show how to use it.',
      from: { path: '^suites/' },
      to: { dependencyTypesNot: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'core', 'aliased-tsconfig-paths'] },
    },
    {
      name: 'api-on-top',
      severity: 'error',
      comment:
        'api/ is the public face of the package (`vitest-llm-d`, `/config`, `/reporters`): it re-exports ' +
        'and wires what lib, fixtures and reporters provide. They never import it, so nothing inside ' +
        'depends on how the package is presented.',
      from: { path: '^(lib|fixtures|reporters|sim)/' },
      to: { path: '^api/' },
    },
    {
      name: 'tests-stay-tests',
      severity: 'error',
      comment: 'Test helpers are for tests: shipped code (everything outside test folders) never imports them.',
      from: { pathNot: '(^|/)test/' },
      to: { path: '(^|/)test/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Package subpath exports (`vitest/node`, `tsx/esm/api`) resolve through their conditions.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
    },
    cache: false,
  },
};
