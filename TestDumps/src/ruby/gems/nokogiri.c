/* nokogiri.c - stand-in for the nokogiri gem's native extension (nokogiri.so, with libxml2 linked in,
   as the x64-mingw-ucrt gem ships it). Nokogiri::XML(text) parses a document; wrapping a node whose
   document was already freed (its doc pointer cleared) reads through NULL. */
#include "../ruby.h"
#include <string.h>

VALUE mNokogiri, mNokogiriXml, cNokogiriXmlDocument;   /* the gem's module and class objects */

typedef struct _xmlDoc { void *_private; const char *name; } xmlDoc;
typedef struct _xmlNode { void *_private; int type; const char *name; xmlDoc *doc; struct _xmlNode *children; } xmlNode;

static NOINLINE xmlDoc *xmlReadMemory(const char *buffer, int size) {
    (void)size;
    xmlDoc *doc = ruby_xmalloc(sizeof *doc);
    doc->_private = NULL;
    doc->name = buffer;
    return doc;
}

static NOINLINE xmlNode *xmlDocGetRootElement(xmlDoc *doc) {
    xmlNode *root = ruby_xmalloc(sizeof *root);
    memset(root, 0, sizeof *root);
    root->type = 1;
    root->name = "root";
    root->doc = doc;
    return root;
}

static NOINLINE void xmlFreeDoc(xmlDoc *doc, xmlNode *root) {
    ruby_xfree(doc);
    root->doc = NULL;        /* libxml2 unlinks the tree from the freed document */
}

/* noko_xml_node_wrap: the document's Ruby object is kept in doc->_private */
static NOINLINE VALUE noko_xml_node_wrap(xmlNode *node) {
    VALUE document = (VALUE)node->doc->_private;      /* node->doc is NULL after the early free */
    return document ? document : Qnil;
}

static NOINLINE VALUE noko_xml_document_s_read_memory(const char *text) {
    xmlDoc *doc = xmlReadMemory(text, (int)strlen(text));
    xmlNode *root = xmlDocGetRootElement(doc);
    if (strstr(text, "<!DOCTYPE")) xmlFreeDoc(doc, root);   /* the recover-mode error path frees too early */
    return noko_xml_node_wrap(root);
}

static VALUE rb_nokogiri_xml(int argc, const VALUE *argv, VALUE self) {
    (void)self;
    return noko_xml_document_s_read_memory(argc > 0 ? rb_string_value_cstr(argv[0]) : "");
}

__declspec(dllexport) void Init_nokogiri(void) {
    mNokogiri = rb_str_new_cstr("Nokogiri");
    mNokogiriXml = rb_str_new_cstr("Nokogiri::XML");
    cNokogiriXmlDocument = rb_str_new_cstr("Nokogiri::XML::Document");
    rb_define_global_function("Nokogiri::XML", rb_nokogiri_xml, 1);
}
