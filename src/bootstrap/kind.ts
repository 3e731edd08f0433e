/**
 * Which bootstrap profile a WAP push announces, by content type alone. A module of its own (no
 * imports) so the push router can recognise bootstrap documents without loading the bootstrapper
 * (its decoders, SEC/MAC, TNDS/CP planning): the QuickJS host loads that only on the first
 * bootstrap push (`AgentCore` `PushParts.loadBootstrapper`).
 */

/** WSP well-known content type of `application/vnd.syncml.dm+wbxml` (OMA DM bootstrap, [DMBOOT] 3.1.4). */
export const DM_WBXML_CT_CODE = 0x42;
/** Its name. */
export const DM_WBXML_TYPE = 'application/vnd.syncml.dm+wbxml';
/** WSP well-known content type of a WBXML provisioning document (OMA CP, [DMBOOT] 3.1.3). */
export const CP_WBXML_CT_CODE = 0x36;
/** Its name. */
export const CP_WBXML_TYPE = 'application/vnd.wap.connectivity-wbxml';

/**
 * Which bootstrap profile a content type announces: 'dm', 'cp', or null (not a bootstrap). The
 * well-known code decides when present; otherwise the media type of the textual form
 * (case-insensitive, parameters ignored).
 */
export function bootstrapKind(contentType: string, contentTypeCode: number | null): 'dm' | 'cp' | null {
  if (contentTypeCode !== null) return contentTypeCode === DM_WBXML_CT_CODE ? 'dm' : contentTypeCode === CP_WBXML_CT_CODE ? 'cp' : null;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === DM_WBXML_TYPE ? 'dm' : t === CP_WBXML_TYPE ? 'cp' : null;
}
