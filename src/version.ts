/**
 * everynode's version, read from package.json (the one place it is written), and the user agent
 * sent to the API server, in client-go's form ("kubectl/v1.33.0 (linux/amd64) ..."), so audit
 * logs and apiserver_request_total by client name everynode and its version.
 */
import { readFileSync } from 'node:fs';

// src/version.ts and dist/version.js both sit one directory below package.json.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The package version, e.g. "0.1.0". */
export const VERSION: string = pkg.version;

/** The User-Agent of every API request: "everynode/0.1.0 (linux/x64) node/22.23.5". */
export const USER_AGENT = `everynode/${VERSION} (${process.platform}/${process.arch}) node/${process.versions.node}`;
