// The checksum oracle for tests/bats/flyway-checksums.bats: Flyway's
// algorithm written out independently of zdm (flyway-core
// org/flywaydb/core/internal/resolver/ChecksumCalculator.java): read the
// file with the configured charset, drop a leading BOM (U+FEFF), and feed
// CRC-32 each line as UTF-8 without its terminator (BufferedReader
// .readLine splits on \n, \r and \r\n). With "NAME=VALUE" arguments after
// the charset, ${NAME} is replaced first, as for an R__ file with
// placeholders (SqlMigrationResolver.getChecksumForLoadableResource).
// Usage: java FlywayChecksum.java FILE CHARSET [NAME=VALUE...]
import java.io.*;
import java.nio.charset.*;
import java.nio.file.*;
import java.util.zip.CRC32;

public class FlywayChecksum {
    public static void main(String[] a) throws Exception {
        CharsetDecoder dec = Charset.forName(a[1]).newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        String text = dec.decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(Paths.get(a[0])))).toString();
        for (int i = 2; i < a.length; i++) {
            int eq = a[i].indexOf('=');
            text = text.replace("${" + a[i].substring(0, eq) + "}", a[i].substring(eq + 1));
        }
        BufferedReader r = new BufferedReader(new StringReader(text));
        CRC32 crc = new CRC32();
        String line = r.readLine();
        if (line != null) {
            if (!line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
            do {
                crc.update(line.getBytes(StandardCharsets.UTF_8));
            } while ((line = r.readLine()) != null);
        }
        System.out.println((int) crc.getValue());
    }
}
