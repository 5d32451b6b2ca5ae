package dev.pipewright.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A text table of items: each column a header and how to read its cell from an item. Columns are
 * as wide as their widest cell and two spaces apart, unless given a fixed width (see
 * {@link #column(String, int, Function)}).
 */
final class Table<T> {
    private record Column<T>(String header, int width, Function<? super T, String> cell) {
    }

    private final List<Column<T>> columns = new ArrayList<>();
    private String whenEmpty;

    Table<T> column(String header, Function<? super T, String> cell) {
        columns.add(new Column<>(header, 0, cell));
        return this;
    }

    /**
     * A column padded to {@code width} and one space, however wide the other rows are: a long cell
     * pushes only its own row along, the way a printf format does.
     */
    Table<T> column(String header, int width, Function<? super T, String> cell) {
        columns.add(new Column<>(header, width, cell));
        return this;
    }

    /** What to print instead of a table with no rows (by default the header line alone). */
    Table<T> ifEmpty(String text) {
        whenEmpty = text;
        return this;
    }

    String render(Iterable<? extends T> items) {
        List<String[]> rows = new ArrayList<>();
        rows.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (T item : items) {
            rows.add(columns.stream().map(c -> c.cell().apply(item)).toArray(String[]::new));
        }
        if (rows.size() == 1 && whenEmpty != null) {
            return whenEmpty;
        }
        int cols = columns.size();
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        boolean fixed = columns.stream().anyMatch(c -> c.width() > 0);
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                line.append(r[i]);
                if (i < cols - 1) {
                    int w = columns.get(i).width();
                    line.append(" ".repeat(w > 0 ? Math.max(0, w - r[i].length()) + 1 : width[i] - r[i].length() + 2));
                }
            }
            // a fixed-width table keeps its lines as printed; a fitted one drops the padding of empty last cells
            sb.append(fixed ? line : line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
