// Fixture imports are bundled as text by esbuild (scripts/build.mjs loader), so portable tests
// carry their vectors with them (QuickJS has no file system access from tests).
declare module '*.xml' {
  const text: string;
  export default text;
}
declare module '*.txt' {
  const text: string;
  export default text;
}
declare module '*.hex' {
  const text: string;
  export default text;
}
