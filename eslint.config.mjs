// Flat config: recommended JS + type-aware TypeScript rules for everything we ship.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Forbids imports that go up `depth` folders or more, out of the package the files are in. */
function packageBoundary(files, depth) {
  const message = 'A package must not import from outside itself (the service included).';
  const regex = `^(\\.\\./){${depth}}`;
  return {
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message }] }] },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'coverage/', 'artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'no-console': 'error',
    },
  },
  {
    // supertest types response bodies as `any`; tests assert their shape with expect().
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  // A workspace package imports node, its own dependencies and itself, never the service:
  // no relative path may climb out of packages/<name>/.
  packageBoundary(['packages/*/*/*.ts'], 2),
  packageBoundary(['packages/*/*/*/*.ts'], 3),
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
