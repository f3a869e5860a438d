// The product's name and version, read from package.json at build time (esbuild inlines the JSON).
import pkg from '../../package.json';

export const productName: string = pkg.displayName;
export const productVersion: string = pkg.version;
