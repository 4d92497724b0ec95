// An application using epicac's module: fromContainer() once, its credentials printed as
// credential_process JSON. Compiled like the floors, it is compared with the default path's
// floor (a bare fetch): what the module adds to an application's start.

import { fromContainer } from "../../../src/mod.ts";

const credentials = await fromContainer()();
console.log(
  JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration?.toISOString(),
  }),
);
