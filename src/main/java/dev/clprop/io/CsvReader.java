package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.Quote;
import dev.clprop.util.Memory;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.EOFException;
import java.io.FilterReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads CSV files (RFC 4180, through Commons CSV: quoted fields, commas inside quotes), UTF-8,
 * optionally gzip-compressed (by the {@code .gz} suffix), a leading byte-order mark ignored.
 * <ul>
 *   <li>A header row is recognised as Python's csv.Sniffer does: the first row is a header when some
 *       column holds a name there and a number in the second row (a file of one row has none).</li>
 *   <li>What each column is ({@link Role}) is decided from the header, or the column count, before
 *       any data row is read, so values are converted as they stream in.</li>
 *   <li>Feature and target cells must be decimal numbers: {@code 2f}, {@code 4d}, hexadecimal,
 *       {@code inf} and {@code NaN} are refused, as are empty cells. Label cells are text.</li>
 *   <li>Memory is bounded: a line longer than {@link #MAX_LINE_CHARS}, or data that would not fit
 *       the heap that is left, is refused with a message before it is allocated.</li>
 * </ul>
 * Every error names the file, the line and, for a cell, its column.
 */
public final class CsvReader {
    /** Longest line accepted, in characters. */
    public static final int MAX_LINE_CHARS = 1 << 24;


    /** What a column holds. */
    public enum Role {
        /** An input of the network. */
        FEATURE,
        /** A regression target. */
        TARGET,
        /** The class label. */
        LABEL,
        /** Set aside: read for its name only. */
        IGNORED
    }

    /** Decides each column's role from the header (null when the file has none) and the column count. */
    public interface Layout {
        /** The role of each column, given the header (null when the file has none) and the count of columns. */
        Role[] roles(String[] header, int columns, String source);
    }

    /** Rows read: features and targets row-major, labels as text, the file line of each row. */
    public record Result(String source, String[] header, Role[] roles, int rows, float[] features, int featureCount,
                         float[] targets, int targetCount, String[] labels, int[] lines) {
        /** The names of the columns with a role, in file order; null without a header. */
        public List<String> names(Role role) {
            if (header == null) return null;
            List<String> out = new ArrayList<>();
            for (int c = 0; c < roles.length; c++) if (roles[c] == role) out.add(header[c]);
            return out;
        }
    }

    private CsvReader() {
    }

    /**
     * Names and labels become text in model files and reports: a control character (a NUL byte, an
     * escape sequence that drives a terminal) could be neither stored nor shown, so it is refused here.
     */
    static void checkName(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 && ch != '\t' || ch == 0x7f) {
                throw new InvalidInputException(what + " " + Quote.of(s) + " holds a control character (U+" + String.format("%04X", (int) ch)
                        + "), which a model file cannot keep");
            }
        }
    }

    /** Reads {@code file} (UTF-8, RFC 4180, optionally gzipped) with the columns {@code layout} assigns. */
    public static Result read(Path file, Layout layout) {
        if (!Files.exists(file)) throw new InvalidInputException(file + ": no such file");
        if (Files.isDirectory(file)) throw new InvalidInputException(file + ": is a folder, but no MNIST-layout files are in it");
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            return read(file.toString(), in, layout);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw ioError(file.toString(), e);
        }
    }

    /** Reads a stream (not closed here); {@code name} is used in messages. */
    public static Result read(String name, InputStream in, Layout layout) {
        BoundedLines reader = new BoundedLines(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        CSVFormat format = CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).setIgnoreSurroundingSpaces(true).build();
        try (CSVParser parser = format.parse(reader)) {
            return parse(name, parser, layout);
        } catch (IOException e) {
            throw ioError(name, e);
        } catch (UncheckedIOException e) {
            throw ioError(name, e.getCause());
        } catch (IllegalStateException e) {
            // Commons CSV reports a malformed record (an unclosed quote) this way
            throw new InvalidInputException(name + ": malformed CSV: " + e.getMessage());
        }
    }

    private static InvalidInputException ioError(String name, IOException e) {
        if (e instanceof ZipException) return new InvalidInputException(name + ": corrupt gzip stream (" + e.getMessage() + ")");
        if (e instanceof EOFException) return new InvalidInputException(name + ": truncated gzip stream");
        if (e instanceof CharacterCodingException) return new InvalidInputException(name + ": not UTF-8 text");
        if (e instanceof LineTooLong t) return new InvalidInputException(name + ":" + t.line + ": longer than " + MAX_LINE_CHARS + " characters");
        return new InvalidInputException(name + ": cannot read: " + e.getMessage());
    }

    /**
     * The parser's line count, read right after a record is taken (and before asking for another,
     * which reads ahead), is the physical line the record ends on, blank lines included.
     */
    private static Result parse(String name, CSVParser parser, Layout layout) {
        Iterator<CSVRecord> it = parser.iterator();
        if (!it.hasNext()) throw new InvalidInputException(name + ": no data rows");
        CSVRecord first = it.next();
        long firstLine = parser.getCurrentLineNumber();
        CSVRecord second = null;
        long secondLine = 0;
        if (it.hasNext()) {
            second = it.next();
            secondLine = parser.getCurrentLineNumber();
        }
        String[] c1 = cells(first);
        if (second == null && java.util.Arrays.stream(c1).noneMatch(c -> c.isEmpty() || NUMBER_LIKE.matcher(c).matches())) {
            throw new InvalidInputException(name + ": has a header but no data rows");
        }
        boolean header = second != null && isHeader(c1, cells(second));
        int cols = c1.length;
        if (header) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int c = 0; c < cols; c++) {
                checkName(c1[c], name + ":" + firstLine + ": column " + (c + 1) + "'s name");
                // columns are matched by name (a test file, a trained model): two of one name could not be told apart
                if (!seen.add(c1[c])) throw new InvalidInputException(name + ":" + firstLine + ": has two columns named " + Quote.of(c1[c]) + "; name each column once");
            }
        }
        Role[] roles = layout.roles(header ? c1 : null, cols, name);
        if (roles.length != cols) throw new IllegalStateException("layout gave " + roles.length + " roles for " + cols + " columns");
        Columns out = new Columns(name, header ? c1 : null, roles);
        if (!header) out.add(first, firstLine);
        if (second != null) out.add(second, secondLine);
        while (it.hasNext()) {
            CSVRecord r = it.next();
            out.add(r, parser.getCurrentLineNumber());
        }
        return out.result();
    }

    private static String[] cells(CSVRecord r) {
        String[] c = new String[r.size()];
        for (int i = 0; i < c.length; i++) c[i] = r.get(i);
        if (r.getRecordNumber() == 1 && c.length > 0 && c[0].startsWith("\uFEFF")) c[0] = c[0].substring(1).trim();
        return c;
    }

    /** A decimal number: optional sign, digits with an optional fraction, an optional exponent. */
    static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    /** What a header cell cannot be: anything that reads as a number in some notation. */
    private static final Pattern NUMBER_LIKE = Pattern.compile(
            "(?i)[+-]?((\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?[fd]?|0x[0-9a-f.]+(p[+-]?\\d+)?[fd]?|inf(inity)?|nan)");

    static boolean isHeader(String[] first, String[] second) {
        if (first.length != second.length) return false;
        for (int c = 0; c < first.length; c++) {
            if (!first[c].isEmpty() && !NUMBER_LIKE.matcher(first[c]).matches() && DECIMAL.matcher(second[c]).matches()) return true;
        }
        return false;
    }

    /** A cell's value if it is a finite decimal number, else NaN. */
    public static float decimal(String cell) {
        if (!DECIMAL.matcher(cell).matches()) return Float.NaN;
        float v = Float.parseFloat(cell);
        return Float.isFinite(v) ? v : Float.NaN;
    }

    /** Growable column storage for one file. */
    private static final class Columns {
        final String name;
        final String[] header;
        final Role[] roles;
        final int f, t;
        final boolean hasLabel;
        float[] features;
        float[] targets;
        String[] labels;
        int[] lines = new int[1 << 8];
        int rows;

        Columns(String name, String[] header, Role[] roles) {
            this.name = name;
            this.header = header;
            this.roles = roles;
            int nf = 0, nt = 0, nl = 0;
            for (Role r : roles) {
                if (r == Role.FEATURE) nf++;
                if (r == Role.TARGET) nt++;
                if (r == Role.LABEL) nl++;
            }
            if (nl > 1) throw new IllegalStateException("more than one label column");
            f = nf;
            t = nt;
            hasLabel = nl == 1;
            features = new float[lines.length * f];
            targets = new float[lines.length * t];
            labels = new String[hasLabel ? lines.length : 0];
        }

        void add(CSVRecord r, long physicalLine) {
            int line = (int) Math.min(Integer.MAX_VALUE, physicalLine);
            if (r.size() != roles.length) {
                throw new InvalidInputException(name + ":" + line + ": has " + r.size() + " columns, but " + (header != null ? "the header has " : "earlier rows have ") + roles.length);
            }
            grow();
            int fi = rows * f, ti = rows * t;
            String[] c = cells(r);
            for (int col = 0; col < roles.length; col++) {
                switch (roles[col]) {
                    case FEATURE -> features[fi++] = value(c[col], line, col);
                    case TARGET -> targets[ti++] = value(c[col], line, col);
                    case LABEL -> {
                        if (c[col].isEmpty()) throw new InvalidInputException(where(line, col) + ": the label is empty");
                        checkName(c[col], where(line, col) + ": the label");
                        labels[rows] = c[col];
                    }
                    default -> { }
                }
            }
            lines[rows++] = line;
        }

        private float value(String cell, int line, int col) {
            float v = decimal(cell);
            if (Float.isNaN(v)) {
                throw new InvalidInputException(where(line, col) + ": " + Quote.of(cell) + " is " + (cell.isEmpty() ? "empty, not a number" : "not a finite decimal number"));
            }
            return v;
        }

        private String where(int line, int col) {
            return name + ":" + line + ": column " + (col + 1) + (header != null ? " (" + Quote.of(header[col]) + ")" : "");
        }

        private void grow() {
            if (rows < lines.length) return;
            long newRows = Math.max(2L * lines.length, 16);
            long bytes = newRows * (4L * (f + t) + 4 + (hasLabel ? 8 : 0));
            if (newRows * Math.max(1, Math.max(f, t)) > Integer.MAX_VALUE - 8 || !Memory.fits(bytes, 2)) {
                throw new InvalidInputException(name + ": too large: " + rows + " rows of " + (f + t) + " values do not fit the Java heap (raise -Xmx)");
            }
            lines = Arrays.copyOf(lines, (int) newRows);
            if (f > 0) features = Arrays.copyOf(features, (int) (newRows * f));
            if (t > 0) targets = Arrays.copyOf(targets, (int) (newRows * t));
            if (hasLabel) labels = Arrays.copyOf(labels, (int) newRows);
        }

        Result result() {
            if (rows == 0) throw new InvalidInputException(name + ": no data rows");
            return new Result(name, header, roles, rows, Arrays.copyOf(features, rows * f), f, Arrays.copyOf(targets, rows * t), t,
                    hasLabel ? Arrays.copyOf(labels, rows) : null, Arrays.copyOf(lines, rows));
        }
    }

    /** Thrown by {@link BoundedLines} on a line that is too long. */
    static final class LineTooLong extends IOException {
        final long line;

        LineTooLong(long line) {
            super("line too long");
            this.line = line;
        }
    }

    /** A reader that refuses lines longer than {@link #MAX_LINE_CHARS}, so one endless line cannot fill the heap. */
    private static final class BoundedLines extends FilterReader {
        private long run;
        private long line = 1;

        BoundedLines(Reader in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) count((char) c);
            return c;
        }

        @Override
        public int read(char[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            for (int i = 0; i < n; i++) count(buf[off + i]);
            return n;
        }

        private void count(char c) throws LineTooLong {
            if (c == '\n') {
                run = 0;
                line++;
            } else if (++run > MAX_LINE_CHARS) {
                throw new LineTooLong(line);
            }
        }
    }
}
