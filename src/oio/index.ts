// Public API of the OpenIO client: the proxy and account-service clients, their HTTP seam,
// the typed errors, the boundary types and the CID helpers. Import from here, not from the files.
export * from './types.js';
export * from './errors.js';
export * from './cid.js';
export { OioHttp, HTTP_DEFAULTS, encodeQuery } from './http.js';
export type { HttpClientOptions, OioRequest, OioResponse, QueryValue, RequestObserver } from './http.js';
export { ProxyClient, createProxyClient, refParams } from './proxy-client.js';
export type { ProxyClientOptions } from './proxy-client.js';
export { AccountClient, createAccountClient, DEFAULT_PAGE_LIMIT } from './account-client.js';
export type { AccountClientOptions } from './account-client.js';
export {
  parsePeerAnswers, parseAdminTable, parseReferencePeers, parseServices, parseAccountPage, parseContainerPage,
  stringBody, debugBody,
} from './parse.js';
export type { BodyParser, ListingPage } from './parse.js';
