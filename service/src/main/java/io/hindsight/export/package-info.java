/** Exporting the live rewrite rules in formats search engines load (Querqy, synonym files). */
package io.hindsight.export;
