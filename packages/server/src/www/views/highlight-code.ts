import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import scss from 'highlight.js/lib/languages/scss';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { escapeHtml, SafeHtml } from '../html.ts';

// The languages packages ship most; registering only these keeps start-up and memory small
// (docs/decisions/website-highlighting-and-diff.md).
const LANGUAGES = { bash, c, cpp, css, diff, go, ini, javascript, json, markdown, python, rust, scss, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const BY_EXTENSION: Record<string, keyof typeof LANGUAGES> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
  json: 'json',
  map: 'json',
  css: 'css',
  scss: 'scss',
  html: 'xml',
  htm: 'xml',
  xml: 'xml',
  svg: 'xml',
  vue: 'xml',
  md: 'markdown',
  markdown: 'markdown',
  yml: 'yaml',
  yaml: 'yaml',
  sh: 'bash',
  bash: 'bash',
  diff: 'diff',
  patch: 'diff',
  ini: 'ini',
  toml: 'ini',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  hpp: 'cpp',
  go: 'go',
  rs: 'rust',
  py: 'python',
};

/** Above this many characters a file is shown escaped but not highlighted (highlighting is the slow part). */
export const MAX_HIGHLIGHT_CHARS = 128 * 1024;

/** The highlight.js language of a file name, if it is one we highlight. */
export function languageOf(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  return dot === -1 ? undefined : BY_EXTENSION[base.slice(dot + 1)];
}

/**
 * Source text → HTML: highlight.js spans (it escapes the text itself), or the escaped text when
 * the language is unknown or the text too long to highlight quickly.
 */
export function highlightCode(text: string, language: string | undefined): SafeHtml {
  if (!language || text.length > MAX_HIGHLIGHT_CHARS) return new SafeHtml(escapeHtml(text));
  return new SafeHtml(hljs.highlight(text, { language, ignoreIllegals: true }).value);
}
