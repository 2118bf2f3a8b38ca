package dev.clprop.fuzz;

import dev.clprop.error.ClpropException;

/** What every fuzz target accepts as a failure: a clprop error with a one-line message. Anything else is a finding. */
final class Findings {
    private Findings() {
    }

    static void expected(ClpropException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.contains("\n")) throw new AssertionError("an error message must be one non-empty line: " + m, e);
    }

    static void check(boolean invariant, String what) {
        if (!invariant) throw new AssertionError(what);
    }
}
