package dev.clprop.io;

import dev.clprop.error.InvalidInputException;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads comma-separated numbers (optionally gzip-compressed, by the {@code .gz} suffix).
 * A first line with any non-numeric cell is a header and skipped; after that every line must have
 * the same number of numeric cells. Blank lines are ignored. Errors name the file, line and value.
 */
public final class CsvReader {
    private CsvReader() {
    }

    public static Table read(Path file) {
        if (!Files.exists(file)) throw new InvalidInputException(file + ": no such file");
        if (Files.isDirectory(file)) throw new InvalidInputException(file + ": is a folder, but no MNIST-layout files are in it");
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            return read(file.toString(), in);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (ZipException e) {
            throw new InvalidInputException(file + ": corrupt gzip stream (" + e.getMessage() + ")");
        } catch (EOFException e) {
            throw new InvalidInputException(file + ": truncated gzip stream");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage());
        }
    }

    public static Table read(String name, InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        float[] values = new float[1 << 16];
        int[] lines = new int[1024];
        int rows = 0;
        int cols = -1;
        int lineNo = 0;
        boolean seenContent = false;
        String line;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] cells = line.split(",", -1);
            boolean first = !seenContent;
            seenContent = true;
            if (first && !allNumeric(cells)) continue; // header
            if (cols < 0) cols = cells.length;
            if (cells.length != cols) {
                throw new InvalidInputException(name + ":" + lineNo + ": has " + cells.length + " columns, but earlier rows have " + cols);
            }
            if (rows == lines.length) lines = Arrays.copyOf(lines, rows * 2);
            long need = (long) (rows + 1) * cols;
            if (need > values.length) {
                if (need > Integer.MAX_VALUE - 8) throw new InvalidInputException(name + ": too large (more than 2^31 values)");
                values = Arrays.copyOf(values, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * values.length)));
            }
            int base = rows * cols;
            for (int c = 0; c < cols; c++) {
                String cell = cells[c].trim();
                float v;
                try {
                    v = Float.parseFloat(cell);
                } catch (NumberFormatException e) {
                    throw new InvalidInputException(name + ":" + lineNo + ": column " + (c + 1) + ": '" + cell + "' is not a number");
                }
                if (!Float.isFinite(v)) throw new InvalidInputException(name + ":" + lineNo + ": column " + (c + 1) + ": '" + cell + "' is not a finite number");
                values[base + c] = v;
            }
            lines[rows++] = lineNo;
        }
        if (rows == 0) throw new InvalidInputException(name + ": no data rows");
        return new Table(name, Arrays.copyOf(values, rows * cols), rows, cols, Arrays.copyOf(lines, rows));
    }

    private static boolean allNumeric(String[] cells) {
        for (String c : cells) {
            try {
                Float.parseFloat(c.trim());
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }
}
