/**
 * Where mail for a domain goes: MX lookup over DNS ({@link dev.mailcore.smtp.mx.DnsMxResolver}, RFC
 * 5321 §5.1, RFC 7505) behind the {@link dev.mailcore.smtp.mx.MxResolver} extension point, its
 * answers ({@link dev.mailcore.smtp.mx.MxLookup}, {@link dev.mailcore.smtp.mx.MxHost}), and static
 * routes that override it ({@link dev.mailcore.smtp.mx.StaticRoutes}).
 *
 * <p>{@link dev.mailcore.smtp.DirectSender} uses these to deliver to each recipient's own servers.
 */
package dev.mailcore.smtp.mx;
