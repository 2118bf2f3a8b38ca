package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

/**
 * One element of an architecture string as a layer kind reads it ({@link LayerSpec#KINDS}): its text,
 * its ':'-separated fields, and a way to refuse it that names the architecture and the layer.
 */
public final class SpecElement {
    private final String spec, text;
    private final String[] fields;
    private final int index;

    SpecElement(String spec, String text, int index) {
        this.spec = spec;
        this.text = text;
        this.index = index;
        this.fields = text.split(":", -1);
        for (int i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
    }

    /** The element as written, e.g. {@code 64:relu}. */
    public String text() {
        return text;
    }

    /** Its ':'-separated fields, trimmed. */
    public String[] fields() {
        return fields.clone();
    }

    /** Whether its first field is {@code name} (a kind's keyword, e.g. {@code dropout}). */
    public boolean is(String name) {
        return fields[0].equals(name);
    }

    /** Whether the element is the keyword {@code name} alone; the keyword with fields is refused ("NAME takes no fields"). */
    public boolean isBare(String name) {
        if (!is(name)) return false;
        if (fields.length != 1) throw malformed(": " + name + " takes no fields");
        return true;
    }

    /** Refuses the element: "'SPEC' is malformed: layer N 'TEXT' WHY" (no space before a WHY that starts with ':'). */
    public InvalidSettingException malformed(String why) {
        return SpecGrammar.malformed(spec, "layer " + index + " " + Quote.of(text) + (why.startsWith(":") ? "" : " ") + why);
    }

    /** Field {@code i} as a positive integer no larger than the width limit, else refused naming {@code what}. */
    public int positive(int i, String what) {
        return SpecGrammar.positive(fields[i], spec, "layer " + index + " " + what);
    }
}
