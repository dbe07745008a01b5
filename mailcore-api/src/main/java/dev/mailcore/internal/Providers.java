package dev.mailcore.internal;

import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;

/** Finds a ServiceLoader provider by URI scheme, naming the missing artifact when none is found. */
public final class Providers {
  private static final Map<String, String> ARTIFACTS =
      Map.of(
          "imap", "mailcore-imap",
          "imaps", "mailcore-imap",
          "pop3", "mailcore-pop3",
          "pop3s", "mailcore-pop3",
          "smtp", "mailcore-smtp",
          "smtps", "mailcore-smtp");

  private Providers() {}

  /**
   * Returns the first provider of {@code type} whose schemes contain {@code scheme}.
   *
   * @throws IllegalArgumentException naming the artifact to add when none is found
   */
  public static <P> P find(Class<P> type, String scheme, Function<P, Set<String>> schemes) {
    if (scheme == null) {
      throw new IllegalArgumentException("the URI has no scheme, such as imaps:// or smtp://");
    }
    String s = scheme.toLowerCase(Locale.ROOT);
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    ServiceLoader<P> services =
        loader == null ? ServiceLoader.load(type) : ServiceLoader.load(type, loader);
    for (P p : services) {
      if (schemes.apply(p).contains(s)) {
        return p;
      }
    }
    // a module-path application may not see the context loader's services
    for (P p : ServiceLoader.load(type, Providers.class.getClassLoader())) {
      if (schemes.apply(p).contains(s)) {
        return p;
      }
    }
    String artifact = ARTIFACTS.get(s);
    if (artifact == null) {
      throw new IllegalArgumentException(
          "no " + type.getSimpleName() + " handles the scheme '" + s + "'; known schemes: "
              + String.join(", ", new java.util.TreeSet<>(ARTIFACTS.keySet())));
    }
    throw new IllegalArgumentException(
        "no " + type.getSimpleName() + " for '" + s + "': add the artifact dev.mailcore:"
            + artifact + " to the class path (or module path)");
  }
}
