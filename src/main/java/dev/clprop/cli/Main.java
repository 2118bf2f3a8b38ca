package dev.clprop.cli;

import dev.clprop.error.ClpropException;
import dev.clprop.settings.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;

/**
 * The clprop command line. Bad input of any kind ends with one line on stderr naming the file,
 * line or value, and exit status 2; only an internal error prints a stack trace.
 */
@Command(name = "clprop", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains multilayer perceptrons with OpenCL kernels, checked against an EJML reference path.",
        subcommands = {TrainCommand.class, SweepCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class, ImportCommand.class, DevicesCommand.class,
                BenchCommand.class, TuneCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_USAGE = 2;
    /** As a shell reports a process ended by SIGINT. */
    public static final int EXIT_INTERRUPTED = 130;

    /** The library's setting names and the options that set them, for its messages. */
    /** The flag of each setting an exception may name (the one list: {@link Setting}). */
    static final Map<String, String> FLAGS = Setting.flags();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What "-" reads (standard input, or a test's stream). */
    InputStream stdin = System.in;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** A message in the command line's terms: a setting's name becomes the option that sets it. */
    static String message(ClpropException e) {
        if (e.setting() != null && FLAGS.containsKey(e.setting())) return FLAGS.get(e.setting()) + " " + e.problem();
        return e.getMessage();
    }

    /** Runs a command with the given streams and returns its exit status (used by main and by tests). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.in, out, err);
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, with the stream that "-" reads. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        Main main = new Main();
        main.stdin = in;
        CommandLine cl = new CommandLine(main);
        PrintWriter errWriter = new PrintWriter(err, true);
        printLibraryWarnings(errWriter);
        PrintWriter outWriter = new PrintWriter(out, true);
        cl.setOut(outWriter);
        cl.setErr(errWriter);
        cl.setParameterExceptionHandler((ex, a) -> {
            String sub = ex.getCommandLine().getCommandName();
            errWriter.println("clprop: " + ex.getMessage() + " (see 'clprop " + (sub.equals("clprop") ? "" : sub + " ") + "--help')");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> statusOf(ex, errWriter));
        int status;
        try {
            status = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only Exceptions to the handler above; an Error thrown past it ends here
            status = statusOf(e, errWriter);
        }
        // the commands leave flushing to here; a print() without a newline would otherwise stay in the buffer.
        // PrintWriter swallows write errors: a full disk or a closed pipe would otherwise end with 0
        if (outWriter.checkError()) {
            errWriter.println("clprop: writing to standard output failed (a full disk, or a closed pipe?); the output is incomplete");
            return status == 0 ? EXIT_USAGE : status;
        }
        return status;
    }

    /**
     * How a command that threw ends: one line on {@code err} and exit 2 for what the user can act on
     * (bad input, too little memory), a stop's own status, and a stack trace with exit 1 only for a bug.
     */
    static int statusOf(Throwable e, PrintWriter err) {
        if (e instanceof Stopped s) {
            if (s.getMessage() != null) err.println("clprop: " + s.getMessage());
            return s.status;
        }
        if (e instanceof ClpropException ce) {
            err.println("clprop: " + message(ce).lines().findFirst().orElse(""));
            return EXIT_USAGE;
        }
        if (e instanceof OutOfMemoryError) {
            err.println("clprop: " + OUT_OF_MEMORY);
            return EXIT_USAGE;
        }
        err.println("clprop: internal error: " + e);
        e.printStackTrace(err);
        return 1;
    }

    static final String OUT_OF_MEMORY = "out of memory; raise the heap with JAVA_OPTS=-Xmx8g, or use a smaller --batch or network";

    /** Held so that its handler is not lost: java.util.logging keeps loggers only weakly. */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("dev.clprop");

    /**
     * The library warns through {@code System.getLogger("dev.clprop")} (no libjsig.so, say); the command
     * line prints those warnings as its own lines on standard error, once each, and nothing else of them.
     */
    static void printLibraryWarnings(PrintWriter err) {
        java.util.logging.Logger library = LIBRARY_LOG;
        for (var h : library.getHandlers()) library.removeHandler(h);
        library.setUseParentHandlers(false);
        library.setLevel(java.util.logging.Level.WARNING);
        library.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) err.println("clprop: warning: " + r.getMessage());
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
            }
        });
    }

    /** Ends a command with an exit status after it has reported why (or with one line saying why). */
    static final class Stopped extends RuntimeException {
        final int status;

        Stopped(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"clprop " + (v == null ? "(development build)" : v)};
        }
    }
}
