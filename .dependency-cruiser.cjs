/** Layer rules from ARCHITECTURE.md: dependencies point inward; the domain and use cases use no framework. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-innermost',
      comment: 'src/domain (entities, rules, ports) imports no other layer.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(?!domain/)' },
    },
    {
      name: 'domain-uses-no-framework',
      comment: 'src/domain and src/usecase import no npm package (node: built-ins are fine).',
      severity: 'error',
      from: { path: '^src/(domain|usecase)/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'usecase-imports-only-domain',
      severity: 'error',
      from: { path: '^src/usecase/' },
      to: { path: '^src/(?!usecase/|domain/)' },
    },
    {
      name: 'adapters-implement-domain-ports',
      comment:
        'src/database (PostgreSQL), src/cluster (Redis) and src/local (in-process) implement domain ports: they import only the domain and themselves.',
      severity: 'error',
      from: { path: '^src/(database|cluster|local)/' },
      to: { path: '^src/(?!domain/|$1/)' },
    },
    {
      name: 'web-imports-only-use-cases-and-domain',
      comment: 'src/web (HTTP and WebSocket) turns requests into use-case calls; it never reaches an adapter.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/(?!web/|usecase/|domain/)' },
    },
    {
      name: 'web-is-handed-its-use-cases',
      comment: 'src/web names use cases as types only: the composition builds them and hands them in.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/usecase/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'every-file-in-a-layer',
      comment: 'Outside the layer folders only src/main.ts exists, so that every file falls under a rule above.',
      severity: 'error',
      from: { path: '^src/[^/]+$', pathNot: '^src/main\\.ts$' },
      to: {},
    },
    {
      name: 'only-composition-knows-concrete-classes',
      comment:
        'Only src/main.ts and src/composition wire concrete classes together; no layer imports them, tsyringe or reflect-metadata.',
      severity: 'error',
      from: { path: '^src/(domain|usecase|database|cluster|local|web)/' },
      to: { path: ['^src/(main\\.ts$|composition/)', 'node_modules/(tsyringe|reflect-metadata)/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
