package dev.mailcore.smtp.check;

/** Ends an SPF evaluation early with temperror or permerror (RFC 7208 §4.6, §4.4). */
final class SpfException extends Exception {
  private static final long serialVersionUID = 1L;

  private final SpfResult result;

  private SpfException(SpfResult result, String detail) {
    super(detail, null, false, false);
    this.result = result;
  }

  static SpfException permerror(String detail) {
    return new SpfException(SpfResult.PERMERROR, detail);
  }

  static SpfException temperror(String detail) {
    return new SpfException(SpfResult.TEMPERROR, detail);
  }

  SpfResult result() {
    return result;
  }
}
