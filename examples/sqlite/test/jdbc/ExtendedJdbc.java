import java.sql.*;
import java.util.*;

/**
 * Drives the SQLite example server through pgjdbc with prepareThreshold=1 (named server-side
 * statements from the first execution, binary transfer), printing one "key=value" line per check.
 */
public class ExtendedJdbc {
  static void out(String key, Object value) { System.out.println(key + "=" + value); }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/shop?user=java&prepareThreshold=1&binaryTransfer=true";
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INT, big BIGINT, score DOUBLE PRECISION, ok BOOLEAN, at TIMESTAMP, day DATE, raw BLOB)");
      }
      // a batch: one named statement, many Bind/Execute before one Sync
      try (PreparedStatement p = c.prepareStatement("INSERT INTO events (id, name, n, big, score, ok, at, day, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= 50; i++) {
          p.setInt(1, i);
          p.setString(2, "event " + i);
          p.setInt(3, i * 10);
          p.setLong(4, 5_000_000_000L + i);
          p.setDouble(5, i / 4.0);
          p.setBoolean(6, i % 2 == 0);
          p.setTimestamp(7, Timestamp.valueOf("2024-02-29 12:34:56.789"));
          p.setDate(8, java.sql.Date.valueOf("2024-03-0" + (1 + i % 9)));
          p.setBytes(9, new byte[] { (byte) i, (byte) 0xff });
          p.addBatch();
        }
        int[] counts = p.executeBatch();
        out("batch", counts.length + ":" + Arrays.stream(counts).sum());
      }
      // the same query repeatedly: server-prepared after the first use, binary results
      try (PreparedStatement q = c.prepareStatement("SELECT id, name, n, big, score, ok, at, day, raw FROM events WHERE id = ? AND ok = ?")) {
        StringBuilder seen = new StringBuilder();
        for (int i = 2; i <= 8; i += 2) {
          q.setInt(1, i);
          q.setBoolean(2, true);
          try (ResultSet r = q.executeQuery()) {
            while (r.next()) {
              seen.append(r.getInt("id")).append('|').append(r.getString("name")).append('|').append(r.getInt("n")).append('|')
                .append(r.getLong("big")).append('|').append(r.getDouble("score")).append('|').append(r.getBoolean("ok")).append('|')
                .append(r.getTimestamp("at")).append('|').append(r.getDate("day")).append('|')
                .append(HexFormat.of().formatHex(r.getBytes("raw"))).append(';');
            }
          }
        }
        out("rows", seen);
        out("server_prepared", q.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare());
      }
      try (PreparedStatement q = c.prepareStatement("SELECT count(*) AS n, sum(n) AS total, max(at) AS latest FROM events WHERE big > ?")) {
        q.setLong(1, 5_000_000_025L);
        try (ResultSet r = q.executeQuery()) {
          r.next();
          out("aggregate", r.getInt("n") + "|" + r.getLong("total") + "|" + r.getTimestamp("latest"));
          ResultSetMetaData m = r.getMetaData();
          out("aggregate_types", m.getColumnTypeName(1) + "," + m.getColumnTypeName(2) + "," + m.getColumnTypeName(3));
        }
      }
      // a transaction with a rollback, and an error's SQLSTATE
      c.setAutoCommit(false);
      try (PreparedStatement u = c.prepareStatement("UPDATE events SET name = ? WHERE id = ?")) {
        u.setString(1, "renamed");
        u.setInt(2, 1);
        out("updated", u.executeUpdate());
      }
      c.rollback();
      try (PreparedStatement d = c.prepareStatement("INSERT INTO events (id, name) VALUES (?, ?)")) {
        d.setInt(1, 1);
        d.setString(2, "dup");
        d.executeUpdate();
      } catch (SQLException e) {
        out("duplicate", e.getSQLState());
      }
      c.rollback();
      c.setAutoCommit(true);
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT name FROM events WHERE id = 1")) {
        r.next();
        out("after_rollback", r.getString(1));
      }
      // fetch in chunks (a portal with a row limit needs a transaction in pgjdbc)
      c.setAutoCommit(false);
      try (PreparedStatement f = c.prepareStatement("SELECT id FROM events ORDER BY id")) {
        f.setFetchSize(7);
        int rows = 0;
        long sum = 0;
        try (ResultSet r = f.executeQuery()) {
          while (r.next()) {
            rows++;
            sum += r.getInt(1);
          }
        }
        out("fetched", rows + ":" + sum);
      }
      c.commit();
    }
  }
}
