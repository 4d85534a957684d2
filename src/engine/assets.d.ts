/** Vite serves `?url` imports as assets and hands back their URL. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
