// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over src/, tests/, bench/,
// web/ (the dashboard, browser code) and scripts/. Formatting is Prettier's job (.prettierrc.json); `npm run lint` runs both.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // The dashboard runs in the browser.
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests read JSON bodies of many shapes; typing each one would add nothing the assertions check.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
