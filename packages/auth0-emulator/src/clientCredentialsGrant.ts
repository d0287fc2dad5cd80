import { field, refuse, requestedAudience } from './clientAuth';
import { managementAudiences } from './context';
import type { Grant } from './tokenGrant';

// A machine's own token (grant_type=client_credentials): the Management API or a custom API
// the client has a client grant for, with scopes checked like Auth0's client grants.

export const clientCredentialsGrant: Grant = (ctx, body, client) => {
  if (client.clientSecret === undefined) {
    // Auth0 never enables this grant for SPAs and native apps (public clients).
    return refuse(
      403,
      'unauthorized_client',
      "Grant type 'client_credentials' not allowed for the client.",
    );
  }
  const audience = requestedAudience(ctx, body);
  if (typeof audience !== 'string') return audience;
  const isManagement = managementAudiences(ctx.origin.url).includes(audience);
  if (!isManagement && !ctx.apis.has(audience)) {
    return refuse(403, 'access_denied', `Service not enabled within domain: ${audience}`);
  }
  const granted = isManagement ? client.scopes : client.apiGrants?.[audience];
  if (!granted) {
    return refuse(
      403,
      'access_denied',
      `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API.`,
    );
  }
  // A client may ask for a subset of its grant; asking for more is refused like Auth0 does.
  const requested = field(body, 'scope')?.split(' ').filter(Boolean);
  const missing = (requested ?? []).filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    return refuse(
      403,
      'access_denied',
      `Client has not been granted scopes: ${missing.join(', ')}`,
    );
  }
  return {
    sub: `${client.clientId}@clients`,
    aud: audience,
    scope: (requested ?? granted).join(' '),
    gty: 'client-credentials',
    log: { audience },
  };
};
