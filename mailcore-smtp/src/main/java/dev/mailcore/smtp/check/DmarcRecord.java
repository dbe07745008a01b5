package dev.mailcore.smtp.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A parsed DMARC policy record (RFC 7489 §6.3) with the problems found while parsing. */
record DmarcRecord(Map<String, String> tags, List<String> problems) {

  static boolean looksLikeDmarc(String txt) {
    return txt.strip().regionMatches(true, 0, "v=DMARC1", 0, 8);
  }

  static DmarcRecord parse(String txt) {
    Map<String, String> tags = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    String[] parts = txt.split(";");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq <= 0) {
        problems.add("'" + part + "' is not a tag=value pair");
        continue;
      }
      String name = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      String value = part.substring(eq + 1).strip();
      if (i == 0 && !(name.equals("v") && value.equals("DMARC1"))) {
        problems.add("the record must start with v=DMARC1");
      }
      tags.putIfAbsent(name, value);
    }
    String p = tags.get("p");
    if (p == null) {
      problems.add("the p= tag (policy) is missing");
    } else if (!List.of("none", "quarantine", "reject").contains(p.toLowerCase(Locale.ROOT))) {
      problems.add("p=" + p + " is not none, quarantine or reject");
    }
    String pct = tags.get("pct");
    if (pct != null && !(pct.matches("\\d{1,3}") && Integer.parseInt(pct) <= 100)) {
      problems.add("pct=" + pct + " is not 0..100");
    }
    return new DmarcRecord(Map.copyOf(tags), List.copyOf(problems));
  }

  String policy() {
    return tags.getOrDefault("p", "").toLowerCase(Locale.ROOT);
  }

  int percent() {
    String pct = tags.get("pct");
    return pct != null && pct.matches("\\d{1,3}") ? Integer.parseInt(pct) : 100;
  }

  boolean hasReports() {
    return tags.containsKey("rua");
  }
}
