export interface EgressProxySettings {
  httpsProxy?: string | undefined;
  httpProxy?: string | undefined;
  noProxy?: string | undefined;
}

/** The standard proxy variables, upper case first (curl's convention), as the transport takes them. */
export function egressProxyFromEnv(env: NodeJS.ProcessEnv): EgressProxySettings | undefined {
  const pick = (name: string) => {
    const value = env[name.toUpperCase()] ?? env[name.toLowerCase()];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const settings = { httpsProxy: pick('https_proxy'), httpProxy: pick('http_proxy'), noProxy: pick('no_proxy') };
  return settings.httpsProxy === undefined && settings.httpProxy === undefined ? undefined : settings;
}
