/** Vite serves `?url` imports as assets and hands back their URL. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}

/** Vite's `?raw` imports: the file's text. */
declare module '*.py?raw' {
  const text: string;
  export default text;
}
