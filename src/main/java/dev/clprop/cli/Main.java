package dev.clprop.cli;

import dev.clprop.UserError;
import dev.clprop.backend.opencl.OpenClUnavailable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * The clprop command line. Bad input of any kind ends with one line on stderr naming the file,
 * line or value, and exit status 2; only an internal error prints a stack trace.
 */
@Command(name = "clprop", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains multilayer perceptrons with OpenCL kernels, checked against an EJML reference path.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, DevicesCommand.class,
                BenchCommand.class, TuneCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_USAGE = 2;
    /** As a shell reports a process ended by SIGINT. */
    public static final int EXIT_INTERRUPTED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command with the given streams and returns its exit status (used by main and by tests). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        PrintWriter errWriter = new PrintWriter(err, true);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(errWriter);
        cl.setParameterExceptionHandler((ex, a) -> {
            String sub = ex.getCommandLine().getCommandName();
            errWriter.println("clprop: " + ex.getMessage() + " (see 'clprop " + (sub.equals("clprop") ? "" : sub + " ") + "--help')");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            Throwable e = ex;
            if (e instanceof TrainCommand.Interrupted) return EXIT_INTERRUPTED;
            if (e instanceof UserError || e instanceof OpenClUnavailable) {
                errWriter.println("clprop: " + e.getMessage());
                return EXIT_USAGE;
            }
            if (e instanceof OutOfMemoryError) {
                errWriter.println("clprop: out of memory; raise the heap with JAVA_OPTS=-Xmx8g or use a smaller --batch");
                return 1;
            }
            errWriter.println("clprop: internal error: " + e);
            e.printStackTrace(errWriter);
            return 1;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"clprop " + (v == null ? "(development build)" : v)};
        }
    }
}
