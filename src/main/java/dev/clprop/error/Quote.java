package dev.clprop.error;

/**
 * User text (a CSV cell, a label, an architecture string) as it appears in a message: in single
 * quotes, with line breaks and other control characters written as escapes and long text cut, so
 * that a message stays one readable line whatever the input held.
 */
public final class Quote {
    static final int MAX = 60;

    private Quote() {
    }

    /** Text from input as it is safe to show: quoted, control characters escaped, cut when long. */
    public static String of(String s) {
        return s == null ? "null" : "'" + clean(s) + "'";
    }

    /** The text escaped and cut as in {@link #of}, without the quotes. */
    public static String clean(String s) {
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < s.length() && shown < MAX; i++, shown++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (s.length() > MAX) sb.append("...");
        return sb.toString();
    }
}
