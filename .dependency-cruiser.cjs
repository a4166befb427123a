/** Layer rules from ARCHITECTURE.md: dependencies point inward; the domain and use cases use no framework. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-innermost',
      comment: 'src/domain imports no other layer.',
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
      name: 'database-and-web-stay-apart',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: '^src/(web|usecase)/' },
    },
    {
      name: 'cluster-is-an-adapter',
      comment: 'src/cluster (Redis) implements domain ports; it knows no other layer.',
      severity: 'error',
      from: { path: '^src/cluster/' },
      to: { path: '^src/(web|usecase|database)/' },
    },
    {
      name: 'web-does-not-touch-the-database',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/database/' },
    },
    {
      name: 'only-the-root-knows-the-container',
      comment: 'Only src/main.ts and src/container.ts compose; no layer imports them or tsyringe.',
      severity: 'error',
      from: { path: '^src/(domain|usecase|database|web|cluster)/' },
      to: { path: ['^src/(main|container|config)\\.ts$', 'node_modules/(tsyringe|reflect-metadata)/'] },
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
