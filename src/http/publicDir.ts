import path from 'node:path';

/** The browser files (signup page, docs page): plain HTML/CSS/JS, no build step. */
export const PUBLIC_DIR = path.resolve(__dirname, '..', '..', 'public');
