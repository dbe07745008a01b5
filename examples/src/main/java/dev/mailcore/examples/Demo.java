package dev.mailcore.examples;

/** The README's main command. */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) {
    System.out.println("mailcore demo");
  }
}
