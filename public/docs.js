/* global window, fetch, SwaggerUIBundle */
// Starts Swagger UI on /openapi.json. An external file because the CSP forbids inline
// scripts; deferred after swagger-ui-bundle.js, so SwaggerUIBundle is defined here.
'use strict';

window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default would send our document to validator.swagger.io: no third parties, and
  // the machine may be offline. /openapi.json is validated by the test suite instead.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});

// Authorize (the school's API): the application people sign in with, from the document
// (x-client-id), so only the email and password are left to type.
fetch('/openapi.json')
  .then((res) => res.json())
  .then((doc) => {
    const login = doc.components && doc.components.securitySchemes.schoolLogin;
    if (login && login['x-client-id']) window.ui.initOAuth({ clientId: login['x-client-id'] });
  })
  .catch(() => undefined);
