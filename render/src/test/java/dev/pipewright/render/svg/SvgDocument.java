package dev.pipewright.render.svg;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An SVG drawn by {@link SvgRenderer}, parsed with the JDK's XML parser into boxes and edge polylines. */
public final class SvgDocument {
    /** A node's bounding box; {@code ellipse} when drawn as one. */
    public record Box(String id, String kind, String status, String fill, String label, boolean ellipse,
                      double x, double y, double w, double h) {
        boolean overlaps(Box o) {
            return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
        }

        /** Distance from a point to the box's outline. */
        double distanceToBorder(double px, double py) {
            double dx = Math.max(Math.max(x - px, px - (x + w)), 0);
            double dy = Math.max(Math.max(y - py, py - (y + h)), 0);
            if (dx > 0 || dy > 0) {
                return Math.hypot(dx, dy);
            }
            return Math.min(Math.min(px - x, x + w - px), Math.min(py - y, y + h - py));
        }

        /** For an ellipse: {@code (x/rx)² + (y/ry)²} of the point, 1 on the outline. */
        double ellipseValue(double px, double py) {
            double ex = (px - (x + w / 2)) / (w / 2);
            double ey = (py - (y + h / 2)) / (h / 2);
            return ex * ex + ey * ey;
        }
    }

    public record Edge(String from, String to, boolean faded, List<double[]> points) {
    }

    public final Document doc;
    public final Map<String, Box> boxes = new LinkedHashMap<>();
    public final List<Edge> edges = new ArrayList<>();

    public SvgDocument(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
        Element root = doc.getDocumentElement();
        if (!"svg".equals(root.getLocalName()) || !"http://www.w3.org/2000/svg".equals(root.getNamespaceURI())) {
            throw new AssertionError("not an SVG root: " + root.getTagName());
        }
        NodeList groups = doc.getElementsByTagNameNS("*", "g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            if (!g.hasAttribute("data-id")) {
                continue;
            }
            Element shape = first(g, "rect");
            boolean ellipse = shape == null;
            Box box;
            String label = g.getElementsByTagNameNS("*", "text").item(0).getTextContent();
            String status = g.hasAttribute("data-status") ? g.getAttribute("data-status") : null;
            if (ellipse) {
                shape = first(g, "ellipse");
                double cx = d(shape, "cx");
                double cy = d(shape, "cy");
                double rx = d(shape, "rx");
                double ry = d(shape, "ry");
                box = new Box(g.getAttribute("data-id"), g.getAttribute("data-kind"), status, shape.getAttribute("fill"), label, true,
                        cx - rx, cy - ry, 2 * rx, 2 * ry);
            } else {
                box = new Box(g.getAttribute("data-id"), g.getAttribute("data-kind"), status, shape.getAttribute("fill"), label, false,
                        d(shape, "x"), d(shape, "y"), d(shape, "width"), d(shape, "height"));
            }
            if (boxes.put(box.id(), box) != null) {
                throw new AssertionError("node drawn twice: " + box.id());
            }
        }
        NodeList paths = doc.getElementsByTagNameNS("*", "path");
        for (int i = 0; i < paths.getLength(); i++) {
            Element p = (Element) paths.item(i);
            if (!p.getAttribute("class").startsWith("edge")) {
                continue;
            }
            List<double[]> points = new ArrayList<>();
            for (String step : p.getAttribute("d").trim().split("\\s+")) {
                if (!step.matches("[ML]-?[0-9.]+,-?[0-9.]+")) {
                    throw new AssertionError("unexpected path step " + step);
                }
                String[] xy = step.substring(1).split(",");
                points.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
            }
            edges.add(new Edge(p.getAttribute("data-from"), p.getAttribute("data-to"), p.getAttribute("class").contains("faded"), points));
        }
    }

    private static Element first(Element parent, String name) {
        NodeList l = parent.getElementsByTagNameNS("*", name);
        return l.getLength() == 0 ? null : (Element) l.item(0);
    }

    private static double d(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }
}
