package dev.clprop.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process and captures its exit status and streams. */
public record CliRunner(int status, String out, String err) {
    /** The first "accuracy N%" a report printed, in percent; fails when there is none. */
    public static double accuracy(String report) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("accuracy ([0-9.]+)%").matcher(report);
        org.junit.jupiter.api.Assertions.assertTrue(m.find(), report);
        return Double.parseDouble(m.group(1));
    }

    public static CliRunner run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRunner(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
