//! A small writer for the XML flavour of Open311: nested elements holding escaped text.

/// Writes one document with a root element.
pub(crate) struct Writer {
    out: String,
    root: &'static str,
}

impl Writer {
    /// A document whose root element is `root`.
    pub(crate) fn new(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        out.push('<');
        out.push_str(root);
        out.push('>');
        Writer { out, root }
    }

    /// Opens an element.
    pub(crate) fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Closes an element.
    pub(crate) fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// An element holding `text`.
    pub(crate) fn field(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(text, &mut self.out);
        self.close(name);
    }

    /// The document.
    pub(crate) fn finish(mut self) -> String {
        let root = self.root;
        self.close(root);
        self.out
    }
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// Writes a JSON object's scalar fields (strings, numbers, booleans; `null` is left out)
/// as child elements of `name`, in order.
pub(crate) fn object(w: &mut Writer, name: &str, value: &serde_json::Value) {
    w.open(name);
    if let Some(map) = value.as_object() {
        for (key, v) in map {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => w.field(key, s),
                serde_json::Value::Array(items) => {
                    w.open(key);
                    for item in items {
                        if let Some(s) = item.as_str() {
                            w.field("value", s);
                        }
                    }
                    w.close(key);
                }
                other => w.field(key, &other.to_string()),
            }
        }
    }
    w.close(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let mut w = Writer::new("errors");
        w.field("description", "a<b & \"c\"\u{1}");
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><description>a&lt;b &amp; \
             &quot;c&quot;</description></errors>"
        );
    }
}
